"""micrograd.check.report — the grader's report: its rows, the training-run comparison, the table and the JSON.

A row is {"group", "name", "op", "verdict", "expected", "got", "hint"}. Verdicts:
  PASS   as it should be;
  FAIL   a bug (exit status 1);
  LIMIT  a known limitation, shared by the seed program (a recursive topological sort's depth,
         children kept in a set, a second backward() that does not accumulate as PyTorch's):
         reported, and it does not fail the check;
  SKIP   the piece is not in the file (an op, MLP, nll_loss, the training run): nothing to check.
"""

import json
import re
from dataclasses import dataclass, field

PASS, FAIL, LIMIT, SKIP = "PASS", "FAIL", "LIMIT", "SKIP"
GROUPS = ("load", "limits", "ops", "classic bugs", "model/loss", "training run")
COLUMNS = ("check", "verdict", "expected", "got", "hint")
WIDTH = 46  # the table's expected/got columns are cut here (the JSON has them whole)


def make_row(group, name, op, verdict, expected="", got="", hint=""):
    return {"group": group, "name": name, "op": op, "verdict": verdict, "expected": expected, "got": got, "hint": hint}


@dataclass
class Report:
    """What `micrograd check FILE` found: `rows` (see the module docstring), `ok` (no FAIL) and `exit_status`."""

    path: str
    rows: list = field(default_factory=list)
    seconds: float = 0.0

    def count(self, verdict):
        return sum(r["verdict"] == verdict for r in self.rows)

    @property
    def ok(self):
        return self.count(FAIL) == 0

    @property
    def exit_status(self):
        return 0 if self.ok else 1

    def find(self, name):
        """The row whose name is `name` (or starts with `name:`), or None."""
        return next((r for r in self.rows if r["name"] == name or r["name"].startswith(name + ":")), None)

    def summary(self):
        return {
            "file": self.path,
            "passed": self.count(PASS),
            "failed": self.count(FAIL),
            "limits": self.count(LIMIT),
            "skipped": self.count(SKIP),
            "ok": self.ok,
            "exit_status": self.exit_status,
            "seconds": round(self.seconds, 2),
        }

    def summary_line(self):
        s = self.summary()
        verdict = "every check passed" if self.ok else "some checks FAILED (the rows marked FAIL)"
        return (
            f"micrograd check {self.path}: {verdict}: {s['passed']} passed, {s['failed']} failed, {s['limits']} limits, "
            f"{s['skipped']} skipped, in {self.seconds:.1f} s (LIMIT rows are known limitations, as in the seed program: "
            "they do not fail the check)"
        )

    def to_json(self):
        return json.dumps({"checks": self.rows, "summary": self.summary()}, indent=2)

    def format_table(self):
        """The rows as a text table, grouped (load, ops, classic bugs, model/loss, training run), then the summary."""
        lines = []
        cut = lambda s: s if len(s) <= WIDTH else s[: WIDTH - 3] + "..."  # noqa: E731
        cells = [(r["name"], r["verdict"], cut(r["expected"]), cut(r["got"]), r["hint"]) for r in self.rows]
        widths = [max([len(c)] + [len(x[i]) for x in cells]) for i, c in enumerate(COLUMNS[:4])]
        order = sorted(range(len(self.rows)), key=lambda i: _group_index(self.rows[i]["group"]))
        group = None
        for i in order:
            if self.rows[i]["group"] != group:
                group = self.rows[i]["group"]
                lines += ["", f"== {group}", "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)).rstrip()]
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells[i][:4], widths)) + "  " + cells[i][4])
        return "\n".join([ln.rstrip() for ln in lines[1:]] + ["", self.summary_line()])


def _group_index(group):
    return GROUPS.index(group) if group in GROUPS else len(GROUPS)


# ---------------------------------------------------------------------- the training run, line by line

# the seed's `step 0, train loss X` and the course's final version's `step 1/100, train loss X`
STEP_LINE = re.compile(r"^step \d+(/\d+)?, (val|train) loss")
COURSE_LINE = re.compile(r"^step \d+/(\d+), ")
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf")
MAX_COURSE_STEPS = 1000  # a longer course-style run is compared on its first 1000 steps' lines


def our_seed_lines(preset="seed", steps=None):
    """What micrograd prints for the seed program's run (preset "seed"), or the course's final version's
    ("llm101n", `steps` steps), computed now with micrograd itself."""
    from ..config import TrainConfig
    from ..train import fit

    lines = []
    cfg = TrainConfig.preset(preset, **({} if steps is None else {"steps": steps}))
    fit(cfg, out=lines.append)
    return lines


def _same_line(a, b, rel=1e-9):
    """Equal words, and numbers equal to `rel` (the last digits of a float sum depend on its order)."""
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        x, y = float(x), float(y)
        if x != y and not abs(x - y) <= rel * max(abs(x), abs(y)):
            return False
    return True


def training_row(stdout, ours=None):
    """Their printed `step N, ... loss X` lines against ours: the first differing line, or how many match."""
    theirs = [ln.strip() for ln in stdout.splitlines() if STEP_LINE.match(ln.strip())]
    name, op = "training run", "train"
    if not theirs:
        return make_row("training run", name, op, SKIP, "the seed's 'step N, train loss X' lines", "none printed", "optional")
    course = COURSE_LINE.match(theirs[0])
    if course:  # the course's final version (`step 1/100, ...`): micrograd's llm101n preset is that run
        steps = min(int(course.group(1)), MAX_COURSE_STEPS)
        ours = our_seed_lines("llm101n", max(steps, 1))
        ours = [ln for ln in ours if STEP_LINE.match(ln)]
        if steps < int(course.group(1)):  # the same lines as the long run's, but for the step count in each
            ours = [ln.replace(f"/{steps},", f"/{course.group(1)},", 1) for ln in ours]
    ours = our_seed_lines() if ours is None else ours
    for i, (t, o) in enumerate(zip(theirs, ours)):
        if not _same_line(t, o):
            return make_row(
                "training run", name, op, FAIL, f"line {i + 1}: {o}", f"line {i + 1}: {t}", _training_hint(i, theirs, ours)
            )
    n = min(len(theirs), len(ours))
    more = f" (yours printed {len(theirs)}: the first {n} are compared)" if len(theirs) != len(ours) else ""
    what = "the course's final run's" if course else "the seed run's"
    return make_row("training run", name, op, PASS, f"{what} {len(ours)} lines (micrograd's)", f"{n} lines match{more}")


def _training_hint(i, theirs, ours):
    first = ours[i]
    if COURSE_LINE.match(first):
        if i == 0:
            return "the initial model or data differ: the course's yinyang data, then MLP(2, [8, 3]) from RNG(42)"
        return "the first lines match and a later one differs: zero_grad after every update? AdamW (0.1, (0.9, 0.95))?"
    if first.startswith("step 0, val"):
        return "the initial model or data differ: random = RNG(42), gen_data() first, then MLP(2, [16, 3])"
    if first.startswith("step 0, train"):
        return "step 0's validation loss matches but the training loss does not: the loss over the training split"
    if all(_same_line(t, o) for t, o in zip(theirs[:2], ours[:2])):
        return (
            "step 0 matches and a later step differs: are the gradients zeroed after every update (model.zero_grad())? "
            "is the update the seed's AdamW (beta1 0.9, beta2 0.95, lr 0.1, weight decay 1e-4)?"
        )
    return "the numbers differ from this line on"
