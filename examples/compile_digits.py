"""Compile your own model: a scalar-Value network with a skip connection and a custom
activation, trained on the 8x8 digits through micrograd.compile.

    pip install 'micrograd-llm101n[digits]'
    python examples/compile_digits.py            # ~10 s: prints the generated NumPy, then the accuracy
    python examples/compile_digits.py --steps 20 --quiet

The model is written one example at a time, with `Value` ops only (the way the lecture
writes micrograd); `micrograd.compile` traces it once and runs the whole training split as
a few NumPy calls per layer. Gradients land in each parameter's `.grad`, so the optimizer is
micrograd's own (`micrograd.optim.AdamW`), unchanged.
"""

import argparse
import time

import numpy as np

import micrograd.compile
from micrograd import data, nn
from micrograd.losses import cross_entropy
from micrograd.optim import AdamW
from micrograd.rng import RNG


def swish(v):
    """A custom activation made of Value ops: v * sigmoid(v) (SiLU)."""
    return v * v.sigmoid()


class SkipNet(nn.Module):
    """64 pixels -> 32 (swish) -> 32 (swish) + skip -> 10 logits."""

    def __init__(self, rng):
        self.l1 = nn.Layer(64, 32, nonlin=False, rng=rng)
        self.l2 = nn.Layer(32, 32, nonlin=False, rng=rng)
        self.l3 = nn.Layer(32, 10, nonlin=False, rng=rng)

    def __call__(self, x):
        h1 = [swish(v) for v in self.l1.outputs(x)]
        h2 = [swish(v) + h for v, h in zip(self.l2.outputs(h1), h1)]  # the skip connection
        return self.l3.outputs(h2)

    def parameters(self):
        return self.l1.parameters() + self.l2.parameters() + self.l3.parameters()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100, help="full-batch training steps (default 100)")
    p.add_argument("--lr", type=float, default=0.005, help="AdamW's learning rate (default 0.005)")
    p.add_argument("--quiet", action="store_true", help="do not print the generated source")
    args = p.parse_args(argv)
    if args.steps < 0:
        p.error(f"--steps must be >= 0, got {args.steps}")

    rng = RNG(42)
    train, val, test = data.digits(rng)  # 1437 / 180 / 180 images, pixels in [0, 1]
    model = SkipNet(rng)
    params = model.parameters()  # a list is checked once (a Module passed instead is re-read at every call)
    loss_fn = micrograd.compile(lambda x, y: cross_entropy(model(x), y), params)  # ONE example's loss
    logits_fn = micrograd.compile(lambda x: model(x), params)
    xs, ys = np.array([x for x, _ in train]), np.array([y for _, y in train])  # arrays: converted once, not every step
    opt = AdamW(params, lr=args.lr, weight_decay=1e-4)

    t0 = time.perf_counter()
    for step in range(args.steps):
        loss = loss_fn(xs, ys)  # the mean over the 1437 training images
        loss.backward()  # fills p.grad for every parameter
        opt.step()
        opt.zero_grad()
        if step % 20 == 0 or step == args.steps - 1:
            print(f"step {step}, train loss {loss.data:.6f}")
    seconds = time.perf_counter() - t0

    if not args.quiet:
        print("\n# ---- the program micrograd.compile generated for the loss:\n")
        print(loss_fn.source)
    for name, split in (("val", val), ("test", test)):
        logits = logits_fn.forward(np.array([x for x, _ in split]))
        correct = int((logits.argmax(axis=1) == np.array([y for _, y in split])).sum())
        print(f"{name} accuracy: {correct / len(split):.1%} ({correct}/{len(split)})")
    print(f"{args.steps} steps in {seconds:.2f} s")


if __name__ == "__main__":
    main()
