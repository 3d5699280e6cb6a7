"""micrograd — a small, exact, fast autograd engine and trainer (the LLM101n micrograd module).

    from micrograd import Value, RNG, MLP, cross_entropy
    x = Value(2.0); y = (x * x + x.tanh()).log(); y.backward(); x.grad

Public API: the names below. Losses, optimizers, datasets and the training loop live in
`micrograd.losses`, `micrograd.optim`, `micrograd.data` and `micrograd.train`.
"""

from .engine import Value
from .losses import cross_entropy
from .nn import MLP, Layer, Module, Neuron
from .rng import RNG

__all__ = ["Value", "RNG", "Module", "Neuron", "Layer", "MLP", "cross_entropy"]
__version__ = "0.2.0"
