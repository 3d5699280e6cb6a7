"""micrograd.tensor — the vectorized engine: `Tensor` on NumPy float64, same ops as `Value`.

    from micrograd import RNG
    from micrograd.tensor import Tensor, MLP, cross_entropy, no_grad
    model = MLP(2, [16, 3], rng=RNG(42))              # same initial weights as the scalar MLP
    loss = cross_entropy(model(Tensor(X)), y)         # X (B, 2) floats, y (B,) ints
    loss.backward()                                   # p.grad for p in model.parameters()

Files: `tensor.py` (Tensor and its backward, `no_grad`, `unbroadcast`), `ops/` (`Function`
and every op, each wired to its Tensor methods by `@tensor_op`), `_kernels.py` (threads,
the allocator), `functional.py` (fused `linear`, `cross_entropy`, `log_softmax`), `nn.py`
(Module, Linear, MLP). Training on this engine is `micrograd train --engine tensor`
(the "tensor" back-end of micrograd.engines). The optimizers of `micrograd.optim` work on
tensor parameters unchanged.

Importing this package imports NumPy (the rest of micrograd does not need it).
"""

from . import functional
from ._kernels import tune_allocator
from .functional import cross_entropy, linear, log_softmax
from .nn import MLP, Linear, Module
from .ops import Function, arrays, elementwise  # noqa: F401  (importing the op modules attaches Tensor's methods)
from .tensor import Tensor, is_grad_enabled, no_grad, unbroadcast

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
    "tune_allocator",
]
