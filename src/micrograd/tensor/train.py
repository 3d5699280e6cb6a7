"""micrograd.tensor.train — `TensorTrainer`: the training loop of micrograd.train on whole batches.

    micrograd train --engine tensor                  # the seed run, same losses, much faster
    from micrograd.train import TrainConfig, fit
    fit(TrainConfig.preset("seed", engine="tensor"))

Same config, same draws, same printed losses as the scalar `Trainer` (to ~1e-12): the
data and the scalar model are drawn from `RNG(cfg.seed)` exactly as the scalar engine
does (data first, then weights), then the model is copied into a tensor `MLP`. Each
split becomes one (N, nin) array and one (N,) label array, so a training step is a
handful of graph nodes (linear, linear, cross_entropy) instead of thousands.
"""

import time

import numpy as np

from ..config import make_optimizer
from ..train import Trainer
from .functional import cross_entropy
from .nn import MLP
from ._kernels import tune_allocator
from .tensor import _leaf, no_grad


class TensorTrainer(Trainer):
    """`micrograd.train.Trainer` with a tensor MLP; loss, evaluate, accuracy on whole batches."""

    def __init__(self, config=None):
        super().__init__(config)  # data, then the scalar model's draws: the RNG ends where the scalar run's does
        tune_allocator()  # big per-step arrays stay in the heap: no page faults every step
        self.model = MLP.from_scalar(self.model)
        self.optimizer = make_optimizer(self.config, self.model.parameters())
        self._batches = {}

    def _batch(self, split):
        """(X (N, nin) constant Tensor, y (N,) int array) of a split, built once per split."""
        hit = self._batches.get(id(split))
        if hit is None or hit[0] is not split:
            X = _leaf(np.array([x for x, _ in split], dtype=np.float64).reshape(len(split), -1))
            y = np.array([label for _, label in split], dtype=np.intp)
            hit = self._batches[id(split)] = (split, X, y)
        return hit[1], hit[2]

    def loss(self, split):
        """Mean cross-entropy over a split, a one-element Tensor (a graph node unless under no_grad)."""
        X, y = self._batch(split)
        return cross_entropy(self.model(X), y)

    def evaluate(self, split):
        """Mean loss of a split (a float)."""
        with no_grad():
            return self.loss(split).item()

    def accuracy(self, split):
        """(correct, total): argmax of the logits (first maximum on ties, as the scalar engine)."""
        X, y = self._batch(split)
        with no_grad():
            logits = self.model(X).data
        return int((logits.argmax(axis=1) == y).sum()), len(split)

    def train_step(self):
        """One step: (val loss if due, else None), forward, backward, update. Returns a record."""
        cfg, i = self.config, self.step
        record = {"step": i}
        t0 = time.perf_counter()
        if cfg.eval_every and i % cfg.eval_every == 0:
            record["val_loss"] = self.evaluate(self.val_split)
        loss = self.loss(self.train_split)
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        record["train_loss"] = loss.item()
        record["seconds"] = time.perf_counter() - t0
        self.step += 1
        return record
