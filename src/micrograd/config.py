"""micrograd.config — `TrainConfig`: every field that defines a training run, and the presets.

    from micrograd.config import TrainConfig          # also importable from micrograd.train
    cfg = TrainConfig.preset("llm101n", steps=50)

A config is plain data: the trainer (`micrograd.train`), the CLI flags, the demo's form and
the checkpoint all read it. Each field carries its own metadata (`setting(...)`: help text,
range, the registry its choices come from, whether it shapes training only, whether the demo
offers it), and everything else is derived from `dataclasses.fields(TrainConfig)`:
  - `micrograd train` gets one flag per field (`--weight-decay` for `weight_decay`);
  - the demo's form offers the fields marked `demo=` (with that label);
  - `validate()` checks every field from its metadata, with one message per kind of mistake;
  - a checkpoint saved before a field existed loads with the field's default.
Adding a field here is the whole change (see CONTRIBUTING.md, "how to add a flag").

Presets:
  - "seed":    simple data, MLP(2, [16, 3]) per-neuron init, SeedAdam(0.1, 0.9, 0.95, 1e-4)
  - "llm101n": the course's final version: yinyang data, MLP(2, [8, 3]) per-weight init,
               AdamW(0.1, (0.9, 0.95), 1e-8, 1e-4), lines as `step 1/100, val loss 1.098612`
"""

import dataclasses

from . import data as datasets
from ._floats import is_finite_number
from .engines import ENGINES
from .limits import MAX_MEMORY_MB, check_run
from .losses import PENALTIES as REGULARIZATIONS  # the penalty on the weights (losses.add_penalty_grad)
from .nn import ACTIVATIONS, INITS
from .optim import OPTIMIZERS, RANGES

STYLES = ("seed", "llm101n")  # how step lines look (micrograd.train's Trainer.format_lines)

# ---------------------------------------------------------------------- field metadata


def setting(
    default=dataclasses.MISSING,
    *,
    help,
    default_factory=dataclasses.MISSING,
    choices=None,
    low=None,
    high=None,
    nargs=None,
    metavar=None,
    group=None,
    flag=True,
    training_only=False,
    demo=None,
    items=None,
):
    """A TrainConfig field with the metadata the CLI, the demo's form and `validate()` read.

    help          what the field means (the flag's help adds the default and the range)
    choices       the registry its value is a key of (a dict or tuple: OPTIMIZERS, DATASETS...)
    low, high     the valid range: low <= value (< high); for a list, of each item
    nargs         "+" for a list flag (`--hidden 8 8`); metavar: the flag's placeholder
    group         flags in the same group are mutually exclusive on the command line
    flag          False: no command-line flag (set by presets only)
    training_only True: shapes training only, not the data or the initial model
    demo          the demo form's label for the field (None: the demo does not offer it)
    items         for a list: what its items are, for the message ("positive layer sizes")
    """
    meta = {
        "help": help,
        "choices": choices,
        "low": low,
        "high": high,
        "nargs": nargs,
        "metavar": metavar,
        "group": group,
        "flag": flag,
        "training_only": training_only,
        "demo": demo,
        "items": items,
    }
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


def _range(key):
    """{"low", "high"} of an optimizer hyperparameter: the range micrograd.optim checks."""
    _, low, high = RANGES[key]
    return {"low": low, "high": high}


def describe_range(meta):
    """'>= 0' or 'in [0, 1)' for a field's metadata ('' if unbounded)."""
    low, high = meta.get("low"), meta.get("high")
    if low is not None and high is not None:
        return f"in [{low:g}, {high:g})"
    if low is not None:
        return f">= {low:g}"
    return f"< {high:g}" if high is not None else ""


def _one_of(choices):
    return ", ".join(choices)


# ---------------------------------------------------------------------- presets

PRESETS = {
    "seed": {},
    "llm101n": {
        "dataset": "yinyang",
        "hidden": [8],
        "init": "per-weight",
        "optimizer": "adamw",
        "style": "llm101n",
    },
}

# ---------------------------------------------------------------------- TrainConfig


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run. `TrainConfig.preset(name, **overrides)` starts from a preset."""

    dataset: str = setting("simple", help="generated dataset", choices=datasets.DATASETS, group="source", demo="dataset")
    data: str = setting(
        None,
        help="your own points instead of --dataset: a CSV file, a header, then x1,...,xk,label rows",
        metavar="FILE.csv",
        group="source",
    )  # a CSV file instead of a generated dataset
    n: int = setting(100, help="number of generated points, split 80/10/10 into train/val/test", low=10, demo="points")
    noise: float = setting(
        None,
        help="a generated dataset's noise: points move by gauss(0, NOISE) in x, y after labelling; "
        "none = the dataset's own (moons 0.1, spiral 0.2, others 0)",
        low=0,
        high=10,
        metavar="NOISE",
        demo="noise",
    )
    split: list = setting(
        default_factory=lambda: list(datasets.DEFAULT_SPLIT),
        help="train,val,test percentages of the points, in their order (e.g. --split 70,20,10)",
        low=1,
        nargs="+",
        metavar="PCT",
        items="three positive percentages summing to 100",
        demo="train/val/test %",
    )
    features: list = setting(
        default_factory=lambda: list(datasets.DEFAULT_FEATURES),
        help="the model's inputs, computed from a 2-D point (x, y): any of " + ", ".join(datasets.FEATURES),
        choices=datasets.FEATURES,
        nargs="+",
        metavar="FEATURE",
        items="distinct features from " + ", ".join(datasets.FEATURES),
        demo="features",
    )
    hidden: list = setting(
        default_factory=lambda: [16],
        help="hidden layer sizes, e.g. --hidden 8 8 or --hidden 8,8",
        low=1,
        nargs="+",
        metavar="SIZE",
        items="positive layer sizes",
        demo="hidden sizes",
    )
    activation: str = setting("tanh", help="hidden layers' nonlinearity", choices=ACTIVATIONS, demo="activation")
    init: str = setting(
        "per-neuron", help="weight init: one draw per neuron (the seed's) or per weight", choices=INITS, demo="init"
    )
    optimizer: str = setting("seed-adam", help="optimizer", choices=OPTIMIZERS, training_only=True, demo="optimizer")
    lr: float = setting(0.1, help="learning rate", **_range("lr"), training_only=True, demo="learning rate")
    beta1: float = setting(0.9, help="first-moment decay of the Adam optimizers", **_range("beta1"), training_only=True)
    beta2: float = setting(0.95, help="second-moment decay of the Adam optimizers", **_range("beta2"), training_only=True)
    weight_decay: float = setting(1e-4, help="weight decay", **_range("weight_decay"), training_only=True)
    momentum: float = setting(0.0, help="SGD's momentum, only with --optimizer sgd", **_range("momentum"), training_only=True)
    regularization: str = setting(
        "none",
        help="weights' penalty (not biases'), in the gradients: l1 = rate * sum |w|, l2 = rate * sum w**2 / 2; "
        "the printed loss excludes it",
        choices=REGULARIZATIONS,
        training_only=True,
        demo="regularization",
    )
    reg_rate: float = setting(
        0.0,
        help="the regularization's rate (needs --regularization l1 or l2)",
        low=0,
        training_only=True,
        demo="regularization rate",
    )
    batch_size: int = setting(
        0,
        help="training points per step, drawn from the run's RNG at each step's start (Trainer.draw_batch); "
        "0 or >= the training points = all, no draws",
        low=0,
        metavar="B",
        training_only=True,
        demo="batch size",
    )
    steps: int = setting(100, help="training steps", low=0, training_only=True)
    eval_every: int = setting(10, help="evaluate val loss every K steps; 0 = never", low=0, metavar="K", training_only=True)
    seed: int = setting(42, help="the RNG's seed; data are drawn first, then weights", demo="seed")
    engine: str = setting(
        "scalar", help="scalar Values, the NumPy tensor engine, or the scalar model compiled to batched NumPy", choices=ENGINES
    )
    style: str = setting("seed", help="how step lines look", choices=STYLES, flag=False)
    diverge_check: bool = setting(
        True,
        help="stop (exit status 3) when the train loss becomes non-finite or exceeds 1e6 x max(first loss, 1)",
        training_only=True,
    )
    max_memory: int = setting(
        MAX_MEMORY_MB,
        help="refuse a run estimated to need more memory than this, in MB (micrograd.limits): raise it to allow bigger runs",
        low=1,
        metavar="MB",
    )

    PRESETS = PRESETS

    @classmethod
    def preset(cls, name="seed", **overrides):
        """The preset `name` with `overrides` (None values are ignored), validated."""
        if name not in cls.PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(cls.PRESETS)}")
        cfg = cls(**{**cls.PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}})
        cfg.validate()
        return cfg

    def validate(self):
        """Raise ValueError/TypeError naming the first bad field (each field checked from its metadata)."""
        for f in dataclasses.fields(self):
            if f.name == "dataset" and self.data is not None:
                continue  # a CSV file replaces the generated dataset
            _check_field(f, getattr(self, f.name))
        # a hyperparameter the optimizer does not take must stay at its default: never ignored silently
        self.check_taken(k for k in hyperparameters() if getattr(self, k) != field_default(type(self), k))
        self.hidden = list(self.hidden)
        self.split, self.features = list(self.split), list(self.features)
        self._check_controls()
        self.check_size()

    def _check_controls(self):
        """The Playground controls' rules across fields: nothing given is ever ignored silently."""
        if len(self.split) != 3 or sum(self.split) != 100:
            raise ValueError(f"split must be three positive percentages train,val,test summing to 100, got {self.split!r}")
        if self.noise is not None:
            if self.data is not None:
                raise ValueError(f"noise={self.noise} applies to generated datasets, not to a CSV file (--data)")
            if not datasets.takes_noise(self.dataset):
                raise ValueError(f"noise={self.noise}: dataset {self.dataset!r} takes no noise level")
        if self.reg_rate != 0 and self.regularization == "none":
            raise ValueError(f"reg_rate={self.reg_rate} needs regularization l1 or l2 (with none it would change nothing)")

    def check_size(self):
        """ValueError if a generated dataset's run is estimated to need more than `max_memory` MB
        (micrograd.limits). A CSV run is sized by the engine once its points are read."""
        if self.data is None:
            nclasses = max(2, datasets.DATASET_CLASSES[self.dataset])
            nin = datasets.DATASET_INPUTS.get(self.dataset, len(self.features))  # digits: 64 pixels, not (x, y)
            npoints = datasets.DATASET_POINTS.get(self.dataset, self.n)  # digits: every image, whatever n says
            check_run(self.engine, nin, self.hidden, nclasses, npoints, self.max_memory)

    def check_taken(self, keys):
        """ValueError if one of `keys` is an optimizer hyperparameter this run's optimizer does not
        take (`beta1` for sgd, `momentum` for the Adams). The CLI passes the flags given explicitly:
        such a flag would change nothing, even at its default."""
        takes = OPTIMIZERS[self.optimizer].takes
        for key in keys:
            if key in hyperparameters() and key not in takes:
                users = [name for name, opt in OPTIMIZERS.items() if key in opt.takes]
                who = f"optimizer{'s' if len(users) > 1 else ''} {', '.join(map(repr, users))}"
                raise ValueError(f"{key}={getattr(self, key)} is used only by {who}, got optimizer {self.optimizer!r}")

    def to_dict(self):
        return dataclasses.asdict(self)


def _check_field(f, v):
    """One field's value against its type and metadata: one message per kind of mistake."""
    meta, name = f.metadata, f.name
    choices, low, high = meta.get("choices"), meta.get("low"), meta.get("high")
    if choices is not None and f.type is list:  # a list of distinct choices (features)
        if not isinstance(v, (list, tuple)) or not v or any(x not in choices for x in v) or len(set(v)) != len(v):
            raise ValueError(f"{name} must be a list of {meta.get('items') or _one_of(choices)}, got {v!r}")
        return
    if choices is not None:
        if not isinstance(v, str) or v not in choices:
            raise ValueError(f"{name} must be one of {_one_of(choices)}, got {v!r}")
        return
    if f.type is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {v!r}")
    elif f.type is float:
        if v is None and f.default is None:  # "none": the default's own meaning (noise: the dataset's own)
            return
        if not is_finite_number(v):
            raise ValueError(f"{name} must be a finite number, got {v!r:.40}")
    elif f.type is bool:
        if not isinstance(v, bool):
            raise TypeError(f"{name} must be true or false, got {v!r}")
    elif f.type is list:
        ok = isinstance(v, (list, tuple)) and all(
            isinstance(h, int) and not isinstance(h, bool) and (low is None or h >= low) and (high is None or h < high) for h in v
        )
        if not ok:
            what = meta.get("items") or "ints " + describe_range(meta)
            raise ValueError(f"{name} must be a list of {what}, got {v!r}")
        return
    elif f.type is str:  # a file path (`data`): a non-empty string when given
        if v is not None and (not isinstance(v, str) or not v or "\0" in v):
            raise TypeError(f"{name} must be a non-empty string (a file path) or None, got {v!r}")
        return
    if (low is not None and v < low) or (high is not None and v >= high):
        raise ValueError(f"{name} must be {describe_range(meta)}, got {v}")


def hyperparameters():
    """The fields some optimizer takes (lr, beta1, beta2, weight_decay, momentum), in field order."""
    taken = {key for opt in OPTIMIZERS.values() for key in opt.takes}
    return tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name in taken)


def field_default(config_class, name):
    """The default of a config field (a fresh copy for a list)."""
    f = next(f for f in dataclasses.fields(config_class) if f.name == name)
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def run_keys(config_class=TrainConfig):
    """The fields that have a command-line flag (all but the preset-only ones), in field order."""
    return tuple(f.name for f in dataclasses.fields(config_class) if f.metadata.get("flag", True))


def training_only_keys(config_class=TrainConfig):
    """The fields that shape training only (not the data or the initial model)."""
    return tuple(f.name for f in dataclasses.fields(config_class) if f.metadata.get("training_only"))


def demo_fields(config_class=TrainConfig):
    """The fields the demo's form offers (marked with a `demo=` label), in field order."""
    return tuple(f for f in dataclasses.fields(config_class) if f.metadata.get("demo"))


def make_optimizer(cfg, params):
    """The optimizer a config names, with the hyperparameters it declares it takes."""
    cls = OPTIMIZERS[cfg.optimizer]
    return cls.from_hyperparameters(params, **{key: getattr(cfg, key) for key in cls.takes})
