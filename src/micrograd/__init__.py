"""micrograd — a small, exact, fast autograd engine and trainer (the LLM101n micrograd module).

    from micrograd import Value, RNG, MLP, cross_entropy
    x = Value(2.0, label="x"); y = (x * x + x.tanh()).log(); y.backward(); x.grad
    micrograd.manual_seed(1337)   # models built without rng= are then the same in every run

Public API: the names below. Losses, optimizers, datasets and the training loop live in
`micrograd.losses`, `micrograd.optim`, `micrograd.data` and `micrograd.train`; `gradcheck(f, inputs)`
checks a backward against central differences (`micrograd check FILE.py` grades a whole engine).
"""

from .engine import Value
from .gradcheck import GradcheckError, gradcheck
from .losses import cross_entropy
from .nn import MLP, Layer, Module, Neuron
from .rng import RNG, initial_seed, manual_seed

__all__ = [
    "Value",
    "RNG",
    "manual_seed",
    "initial_seed",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "cross_entropy",
    "gradcheck",
    "GradcheckError",
]
__version__ = "0.2.0"
