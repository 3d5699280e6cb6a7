"""micrograd.config — `TrainConfig`: every field that defines a training run, and the presets.

    from micrograd.config import TrainConfig          # also importable from micrograd.train
    cfg = TrainConfig.preset("llm101n", steps=50)

A config is plain data: the trainer (`micrograd.train`), the CLI flags, the demo's form and
the checkpoint all read it. Presets:
  - "seed":    simple data, MLP(2, [16, 3]) per-neuron init, SeedAdam(0.1, 0.9, 0.95, 1e-4)
  - "llm101n": the course's final version: yinyang data, MLP(2, [8, 3]) per-weight init,
               AdamW(0.1, (0.9, 0.95), 1e-8, 1e-4), lines as `step 1/100, val loss 1.098612`
"""

import dataclasses
import math

from . import data as datasets
from .engines import ENGINES
from .optim import SGD, Adam, AdamW, SeedAdam

OPTIMIZERS = ("seed-adam", "adam", "adamw", "sgd")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run. `TrainConfig.preset(name, **overrides)` starts from a preset."""

    dataset: str = "simple"
    data: str = None  # a CSV file instead of a generated dataset
    n: int = 100
    hidden: list = dataclasses.field(default_factory=lambda: [16])
    activation: str = "tanh"
    init: str = "per-neuron"
    optimizer: str = "seed-adam"
    lr: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    weight_decay: float = 1e-4
    momentum: float = 0.0
    steps: int = 100
    eval_every: int = 10
    seed: int = 42
    engine: str = "scalar"
    style: str = "seed"  # how step lines look: "seed" or "llm101n"

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

    @classmethod
    def preset(cls, name="seed", **overrides):
        if name not in cls.PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(cls.PRESETS)}")
        cfg = cls(**{**cls.PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}})
        cfg.validate()
        return cfg

    def validate(self):
        """Raise ValueError/TypeError naming the first bad field."""

        def need(ok, msg):
            if not ok:
                raise ValueError(msg)

        need(self.data is not None or self.dataset in datasets.DATASETS,
             f"dataset must be one of {', '.join(datasets.DATASETS)}, got {self.dataset!r}")
        for name in ("n", "steps", "eval_every", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, got {v!r}")
        need(self.n >= 10, f"n must be at least 10, got {self.n}")
        need(self.steps >= 0, f"steps must be >= 0, got {self.steps}")
        need(self.eval_every >= 0, f"eval_every must be >= 0 (0 = never), got {self.eval_every}")
        need(isinstance(self.hidden, (list, tuple)) and all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in self.hidden),
             f"hidden must be a list of positive layer sizes, got {self.hidden!r}")
        need(self.activation in ("tanh", "relu"), f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        need(self.init in ("per-neuron", "per-weight"), f"init must be 'per-neuron' or 'per-weight', got {self.init!r}")
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        need(self.engine in ENGINES, f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        need(self.style in ("seed", "llm101n"), f"style must be 'seed' or 'llm101n', got {self.style!r}")
        for name in ("lr", "beta1", "beta2", "weight_decay", "momentum"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
        need(self.lr >= 0, f"lr must be >= 0, got {self.lr}")
        need(0 <= self.beta1 < 1, f"beta1 must be in [0, 1), got {self.beta1}")
        need(0 <= self.beta2 < 1, f"beta2 must be in [0, 1), got {self.beta2}")
        need(self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}")
        need(self.momentum >= 0, f"momentum must be >= 0, got {self.momentum}")
        need(self.momentum == 0 or self.optimizer == "sgd",  # the Adams have no momentum: never ignore it silently
             f"momentum={self.momentum} is used only by optimizer 'sgd', got optimizer {self.optimizer!r}")
        self.hidden = list(self.hidden)

    def to_dict(self):
        return dataclasses.asdict(self)


def make_optimizer(cfg, params):
    """The optimizer a config names, with its hyperparameters."""
    betas = (cfg.beta1, cfg.beta2)
    if cfg.optimizer == "seed-adam":
        return SeedAdam(params, lr=cfg.lr, betas=betas, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return Adam(params, lr=cfg.lr, betas=betas, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return AdamW(params, lr=cfg.lr, betas=betas, weight_decay=cfg.weight_decay)
    return SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
