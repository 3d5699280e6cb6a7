"""micrograd — a small, exact, fast autograd engine and trainer (the LLM101n micrograd module).

    from micrograd import Value, RNG, MLP, cross_entropy
    x = Value(2.0, label="x"); y = (x * x + x.tanh()).log(); y.backward(); x.grad
    micrograd.manual_seed(1337)   # models built without rng= are then the same in every run

Public API: the names below. Losses, optimizers, datasets and the training loop live in
`micrograd.losses`, `micrograd.optim`, `micrograd.data` and `micrograd.train`.
"""

from .engine import Value
from .losses import cross_entropy
from .nn import MLP, Layer, Module, Neuron
from .rng import RNG, initial_seed, manual_seed

__all__ = ["Value", "RNG", "manual_seed", "initial_seed", "Module", "Neuron", "Layer", "MLP", "cross_entropy"]
__version__ = "0.2.0"
