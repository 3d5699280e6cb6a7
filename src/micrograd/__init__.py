"""micrograd — a small, exact, fast autograd engine and trainer (the LLM101n micrograd module).

    from micrograd import Value, RNG, MLP, cross_entropy
    x = Value(2.0, label="x"); y = (x * x + x.tanh()).log(); y.backward(); x.grad
    micrograd.manual_seed(1337)   # models built without rng= are then the same in every run

Public API: the names below. Losses, optimizers, datasets and the training loop live in
`micrograd.losses`, `micrograd.optim`, `micrograd.data` and `micrograd.train`; `gradcheck(f, inputs)`
checks a backward against central differences (`micrograd check FILE.py` grades a whole engine);
`micrograd.compile(fn, params)` runs a function of one example written with Values on whole batches.
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
    "compile",
]
__version__ = "0.2.0"


def __getattr__(name):
    """`micrograd.compile` on first use: its tracer and code generator cost ~25 ms to import, which
    `import micrograd` and the CLI do not pay. (The submodule is itself callable: micrograd.compile(fn, params).)"""
    if name == "compile":
        import importlib

        return importlib.import_module(".compile", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
