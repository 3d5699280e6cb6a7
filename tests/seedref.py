"""The seed program's own code, loaded as a reference for the tests and the benchmarks (not micrograd's).

The seed program is the program micrograd reproduces (the LLM101n micrograd module). It is not
part of this repository — code this project did not write does not live here — so it is looked
for, in this order:
  1. the file named by the environment variable MICROGRAD_SEED_PROGRAM;
  2. `../shared/seed/seed_program.py` beside the repository folder (as in CI).
Without it, every helper below that needs it skips the calling test (`pytest.skip`) with a
one-line reason saying where to get it; the golden *outputs* (`tests/golden/*.txt`, printed by
the reference programs) are part of the repository, so the end-to-end checks against them run
everywhere. The benchmarks (benchmarks/harness.py) find it the same way, through `find_seed_program`.

Running the seed program would train for ~25 s, so `seed_namespace` parses it with `ast`,
keeps only the definitions the tests compare against (Value, RNG, Module, Neuron, Layer, MLP,
nll_loss, gen_data, eval_split), and executes them in a fresh namespace whose global `random`
is an RNG we control (the seed's module-level `random = RNG(42)` is not run, nor its training loop).

    from seedref import seed_namespace, seed_gen_data_circles, seed_run
    seed = seed_namespace(42)            # a fresh copy of the seed, its `random` = RNG(42)
    tr, va, te = seed.gen_data(100)      # draws from seed.random, as the seed does
    model = seed.MLP(2, [16, 3])         # ... then the model, from the same stream
    circles = seed_gen_data_circles(42)  # gen_data with its commented-out rule switched on
    run = seed_run(5)                    # the whole program, 5 training steps: run.lines, run.model
"""

import ast
import math
import os
import re
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
GOLDEN = ROOT / "tests" / "golden"
ENV_VAR = "MICROGRAD_SEED_PROGRAM"
BESIDE = ROOT.parent / "shared" / "seed" / "seed_program.py"  # where CI puts it
WHERE = (
    "get it from EurekaLabsAI/micrograd at commit a582b5d (`micrograd.py`) or join the code blocks of "
    "the LLM101n-CN micrograd article, then set MICROGRAD_SEED_PROGRAM=PATH or put it at ../shared/seed/seed_program.py"
)

MISSING = "the seed program is not available"  # how every reason below starts (tests/conftest.py looks for it)

KEEP = ("Value", "RNG", "Module", "Neuron", "Layer", "MLP", "nll_loss", "gen_data", "eval_split")

# ---------------------------------------------------------------------- finding the seed program


def find_seed_program(environ=None):
    """(path, None) where the seed program is, else (None, a one-line reason saying where to get it).

    MICROGRAD_SEED_PROGRAM wins when set (a path that is not a file is reported, not passed over);
    else `../shared/seed/seed_program.py` beside the repository.
    """
    environ = os.environ if environ is None else environ
    given = environ.get(ENV_VAR, "")
    if given:
        path = Path(given).expanduser().resolve()
        if path.is_file():
            return path, None
        return None, f"{MISSING}: {ENV_VAR}={given} is not a file; {WHERE}"
    if BESIDE.is_file():
        return BESIDE, None
    return None, f"{MISSING} ({ENV_VAR} is not set, no {BESIDE}); {WHERE}"


def seed_program():
    """The seed program's path; skips the calling test (or fixture) when it is not available."""
    path, reason = find_seed_program()
    if path is None:
        import pytest  # here, not at the top: the benchmarks import this module without pytest

        pytest.skip(reason)
    return path


# ---------------------------------------------------------------------- loading it

_compiled_cache = {}  # path -> the compiled definitions, parsed once per process


def _compiled(program):
    if program not in _compiled_cache:
        tree = ast.parse(program.read_text(encoding="utf-8"), filename=str(program))
        body = [node for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in KEEP]
        found = {node.name for node in body}
        missing = [name for name in KEEP if name not in found]
        if missing:
            raise RuntimeError(f"{program} does not define {missing}: is it the seed program? (tests/seedref.py)")
        module = ast.Module(body=body, type_ignores=[])
        _compiled_cache[program] = compile(module, str(program), "exec")
    return _compiled_cache[program]


def seed_namespace(seed=42, program=None):
    """A fresh namespace holding the seed's definitions; its global `random` is the seed's RNG(seed).

    Every call gives new classes and a new generator, so tests do not share state. `program`:
    the seed program's path (default: found as above, or the calling test is skipped).
    """
    program = Path(program) if program is not None else seed_program()
    ns = {"__name__": "seed_program", "math": math}
    exec(_compiled(program), ns)
    ns["random"] = ns["RNG"](seed)
    return types.SimpleNamespace(**{name: ns[name] for name in KEEP}, globals=ns, random=ns["random"])


def seed_rng(seed):
    """The seed's RNG class, seeded: `seed_rng(42).random_u32()`."""
    return seed_namespace(0).RNG(seed)


def seed_gen_data_circles(seed=42):
    """The seed's `gen_data` with its commented-out "concentric circles" label line switched
    on instead of the "very simple dataset" one (edited in the seed's source text, so the
    rule is the seed's own words). Draws from a fresh RNG(seed)."""
    program = seed_program()
    source = program.read_text(encoding="utf-8")
    tree = ast.parse(source)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "gen_data")
    lines = ast.get_source_segment(source, func, padded=True).splitlines()
    commented = [i for i, line in enumerate(lines) if line.strip().startswith("# label = ")]
    active = [i for i, line in enumerate(lines) if line.strip().startswith("label = ")]
    if len(commented) != 1 or len(active) != 1:
        raise RuntimeError(f"{program}: gen_data's label lines changed; update tests/seedref.py")
    lines[commented[0]] = lines[commented[0]].replace("# label = ", "label = ", 1)
    lines[active[0]] = lines[active[0]].replace("label = ", "# label = ", 1)
    ns = seed_namespace(seed, program).globals
    exec(compile("\n".join(lines), str(program), "exec"), ns)
    return ns["gen_data"]


def seed_run(steps, seed=42):
    """Run the seed program itself for `steps` training steps (its `range(100)` loop shortened).

    The whole program is executed as written except two edits made on its syntax tree: the
    module-level `random = RNG(42)` takes `seed`, and the training loop's `range(100)`
    becomes `range(steps)`. Its `print` lines are collected instead of printed. About a
    quarter of a second per step. Returns a namespace: `lines` (what it printed), `model`,
    `train_split`, `val_split`, `test_split`, `eval_split`, `nll_loss`, `Value`.
    """
    program = seed_program()
    tree = ast.parse(program.read_text(encoding="utf-8"), filename=str(program))
    seeded = loops = 0
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["random"]
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "RNG"
        ):
            node.value.args = [ast.Name("SEED", ast.Load())]
            seeded += 1
        elif (
            isinstance(node, ast.For)
            and isinstance(node.iter, ast.Call)
            and getattr(node.iter.func, "id", None) == "range"
            and len(node.iter.args) == 1
            and getattr(node.iter.args[0], "value", None) == 100
        ):
            node.iter.args = [ast.Name("STEPS", ast.Load())]
            loops += 1
    if (seeded, loops) != (1, 1):
        raise RuntimeError(
            f"{program}: cannot find `random = RNG(42)` and the `range(100)` training loop; update tests/seedref.py"
        )
    ast.fix_missing_locations(tree)
    lines = []
    ns = {
        "__name__": "seed_program",
        "SEED": seed,
        "STEPS": steps,
        "print": lambda *args: lines.append(" ".join(str(a) for a in args)),
    }
    exec(compile(tree, str(program), "exec"), ns)
    names = ("model", "train_split", "val_split", "test_split", "eval_split", "nll_loss", "Value")
    return types.SimpleNamespace(lines=lines, **{k: ns[k] for k in names})


# ---------------------------------------------------------------------- comparing printed runs

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def golden_lines(name):
    """The lines of `tests/golden/<name>` (made by the reference programs; see its README)."""
    return (GOLDEN / name).read_text(encoding="utf-8").splitlines()


def assert_lines_match(got, want, rel=1e-10):
    """Same lines with the same text; every number within `rel` relative of the reference's."""
    assert len(got) == len(want), f"{len(got)} lines, the reference has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert _NUMBER.sub("#", g) == _NUMBER.sub("#", w), f"line {i + 1}: {g!r} != reference {w!r}"
        for a, b in zip(_NUMBER.findall(g), _NUMBER.findall(w)):
            assert math.isclose(float(a), float(b), rel_tol=rel, abs_tol=0.0), f"line {i + 1}: {g!r} vs reference {w!r}"
