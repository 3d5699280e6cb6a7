"""micrograd.limits — the documented limits of a training run, and the estimate of what a run will need.

    from micrograd.limits import check_run, estimate_bytes
    check_run("scalar", nin=2, hidden=[16], nclasses=3, npoints=100, max_memory=2048)   # ValueError if too big

A run is sized before anything is built: `TrainConfig.validate()` checks a generated dataset's
run (its size is known from the config, whether it came from a flag, a checkpoint or a demo
request); a CSV run is sized by the file's line and column counts before it is parsed (a fast
count; classes taken as 2), then the engine back-end checks the model and the file's points once it
is read (its classes are known only then), and each split again before its first graph. A run
over a limit is refused with a ValueError naming the size, the limit and how to raise it; the CLI
prints it as one line and exits with status 2.

The limits (each refused with a message naming the file, line or size):

| what                               | limit                                          | how to raise              |
|------------------------------------|------------------------------------------------|---------------------------|
| memory a run is estimated to need  | 2048 MB (`MAX_MEMORY_MB`)                      | `--max-memory MB`         |
| classes (distinct labels of a CSV) | 100 (`data.MAX_CLASSES`)                       | fixed                     |
| CSV file size                      | 100 MB (`data.MAX_CSV_BYTES`), before reading  | fixed                     |
| CSV lines after the header         | 1,000,000 (`data.MAX_CSV_ROWS`), before parsing| fixed                     |
| CSV columns                        | 1,000 (`data.MAX_CSV_COLUMNS`)                 | fixed                     |
| CSV field                          | the csv module's limit (131,072 characters)    | fixed                     |

(`--max-memory MB` is the field `TrainConfig(max_memory=MB)`: a library user raises it there.)

A CSV file's labels are any non-negative integers (ASCII digits); its classes are the distinct
labels re-indexed 0..K-1 in sorted order. Refused as degenerate: a file with one class, a
training split (the first 80% of the rows) with one class, all points identical, and generated
data from a degenerate RNG (seed 0: every draw is 0).

The estimate (measured on CPython 3.11, rounded up; it errs on the high side):
  - the points: ~150 bytes + 32 bytes per coordinate each, on either engine;
  - the model: ~300 bytes per parameter (its Value or array entry, its gradient, the optimizer's moments);
  - the scalar engine: one graph per step over the training points, ~48 bytes per parameter and
    ~350 bytes per neuron for every training point (a `Value` node is ~100-400 bytes);
  - the tensor and compiled engines: the (N, nin) input and ~5 float64 arrays per layer output (activations,
    gradients, temporaries) of the training points: 8 x N x (nin + 5 x the layers' widths) bytes.
"""

# ---------------------------------------------------------------------- the limits

MAX_MEMORY_MB = 2048  # TrainConfig.max_memory's default: what a run may be estimated to need

# the estimate's constants (bytes), measured with tracemalloc and rounded up
POINT_BYTES, COORD_BYTES = 150, 32
PARAM_BYTES = 300
SCALAR_PARAM_BYTES_PER_POINT, SCALAR_NEURON_BYTES_PER_POINT = 48, 350
TENSOR_ARRAYS_PER_LAYER = 5


# ---------------------------------------------------------------------- the estimate


def parameters(nin, hidden, nclasses):
    """The number of parameters of MLP(nin, hidden + [nclasses]): weights and biases."""
    sizes = [nin, *hidden, nclasses]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def train_points(npoints):
    """The points of the training split out of `npoints` (the 80% cut of micrograd.data.split)."""
    return int(0.8 * npoints)


def estimate_bytes(engine, nin, hidden, nclasses, npoints):
    """The bytes a run is estimated to need at its peak (see the module docstring), as an int."""
    params = parameters(nin, hidden, nclasses)
    ntrain = train_points(npoints)
    total = npoints * (POINT_BYTES + COORD_BYTES * nin) + params * PARAM_BYTES
    if engine in ("tensor", "compiled"):  # arrays over the batch (the compiled engine's are the tensor engine's kind)
        total += 8 * ntrain * (nin + TENSOR_ARRAYS_PER_LAYER * (sum(hidden) + nclasses))
    else:
        neurons = sum(hidden) + nclasses
        total += ntrain * (SCALAR_PARAM_BYTES_PER_POINT * params + SCALAR_NEURON_BYTES_PER_POINT * neurons)
    return total


def _mb(nbytes):
    return f"{nbytes / 2**20:,.0f} MB" if nbytes >= 2**20 else f"{nbytes / 2**20:.2f} MB"


def check_run(engine, nin, hidden, nclasses, npoints, max_memory=MAX_MEMORY_MB, source=None):
    """ValueError if the run's estimate is over `max_memory` MB: the message names the size, the limit
    and how to raise it. `source` names where the points come from (e.g. the CSV file) in the message."""
    need = estimate_bytes(engine, nin, hidden, nclasses, npoints)
    if need <= max_memory * 2**20:
        return need
    what = f"{npoints:,} points" if npoints else "the model alone"
    what += f" of {nin} coordinates" + (f" from {source}" if source else "")
    model = f"MLP({nin}, {list(hidden) + [nclasses]}) = {parameters(nin, hidden, nclasses):,} parameters"
    raise ValueError(
        f"this run needs about {_mb(need)} ({engine} engine, {what}, {model}), over the limit of {max_memory:,} MB; "
        f"use fewer points or smaller layers, or raise the limit with --max-memory MB (TrainConfig max_memory) "
        f"if the machine has the memory"
    )
