"""micrograd.compile — a function of one example, written with Value ops, run for a whole batch.

    import micrograd.compile
    loss_fn = micrograd.compile(lambda x, y: cross_entropy(model(x), y), model)
    loss = loss_fn(xs, ys)     # mean over the batch: loss.data; loss.backward() fills p.grad
    print(loss_fn.source)      # the NumPy program

The package is callable (`micrograd.compile(fn, params)` is `micrograd.compile.compile`), as
`torch.compile` is a function. Modules: trace (tracer values and the tracing rules), lower (the
graph as typed nodes), codegen (the batched NumPy source), program (compile, the cache, the
checks and the scalar-engine fallback). NumPy is imported only when something is compiled.
"""

import sys
import types

from .program import REDUCTIONS, BatchLoss, Compiled, compile
from .trace import CompileFallbackWarning, Tracer, TracingError

__all__ = ["compile", "Compiled", "BatchLoss", "REDUCTIONS", "CompileFallbackWarning", "Tracer", "TracingError"]


class _CallableModule(types.ModuleType):
    """The package's module type: calling it calls `compile`."""

    def __call__(self, fn, params, reduction="mean"):
        return compile(fn, params, reduction)


sys.modules[__name__].__class__ = _CallableModule
