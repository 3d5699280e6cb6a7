"""micrograd.tensor — the vectorized engine: `Tensor` on NumPy float64, same ops as `Value`.

    from micrograd import RNG
    from micrograd.tensor import Tensor, MLP, cross_entropy, no_grad
    model = MLP(2, [16, 3], rng=RNG(42))              # same initial weights as the scalar MLP
    loss = cross_entropy(model(Tensor(X)), y)         # X (B, 2) floats, y (B,) ints
    loss.backward()                                   # p.grad for p in model.parameters()

Files: `tensor.py` (Tensor, its ops, `no_grad`, `unbroadcast`), `functional.py` (fused
`linear`, `cross_entropy`, `log_softmax`), `nn.py` (Module, Linear, MLP), `train.py`
(`TensorTrainer`, used by `micrograd train --engine tensor`). The optimizers of
`micrograd.optim` work on tensor parameters unchanged.

Importing this package imports NumPy (the rest of micrograd does not need it).
"""

from . import functional
from .functional import cross_entropy, linear, log_softmax
from .nn import MLP, Linear, Module
from .tensor import Function, Tensor, is_grad_enabled, no_grad, unbroadcast

__all__ = [
    "Tensor",
    "no_grad",
    "is_grad_enabled",
    "unbroadcast",
    "Function",
    "functional",
    "linear",
    "log_softmax",
    "cross_entropy",
    "Module",
    "Linear",
    "MLP",
]
