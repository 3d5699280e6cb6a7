"""The seed program's own code, loaded as a reference for the tests (not micrograd's).

`shared/seed/seed_program.py` is the program micrograd reproduces. Running it would
train for ~25 s, so this helper parses it with `ast`, keeps only the definitions the
tests compare against (Value, RNG, Module, Neuron, Layer, MLP, nll_loss, gen_data,
eval_split), and executes them in a fresh namespace whose global `random` is an RNG we
control (the seed's module-level `random = RNG(42)` is not run, nor its training loop).

    from seedref import seed_namespace, seed_gen_data_circles, seed_run
    seed = seed_namespace(42)            # a fresh copy of the seed, its `random` = RNG(42)
    tr, va, te = seed.gen_data(100)      # draws from seed.random, as the seed does
    model = seed.MLP(2, [16, 3])         # ... then the model, from the same stream
    circles = seed_gen_data_circles(42)  # gen_data with its commented-out rule switched on
    run = seed_run(5)                    # the whole program, 5 training steps: run.lines, run.model

`shared/` sits beside the repository folder (as in CI's fresh clone: `../shared`);
if it is missing, loading fails loudly instead of skipping tests.
"""

import ast
import math
import re
import types
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOLDEN = Path(__file__).resolve().parent / "golden"
# ../shared/seed/ beside the repository (as in CI); else the copies kept in tests/golden/
_seed_dir = SHARED / "seed" if (SHARED / "seed" / "seed_program.py").is_file() else GOLDEN
SEED_PROGRAM = _seed_dir / "seed_program.py"
SEED_OUTPUT = _seed_dir / "seed_output.txt"

KEEP = ("Value", "RNG", "Module", "Neuron", "Layer", "MLP", "nll_loss", "gen_data", "eval_split")

_definitions = None  # the compiled definitions, parsed once per test session


def _compiled():
    global _definitions
    if _definitions is None:
        if not SEED_PROGRAM.is_file():
            raise FileNotFoundError(
                f"the seed program is missing: {SEED_PROGRAM} (the tests need ../shared/seed/ beside the repository)"
            )
        tree = ast.parse(SEED_PROGRAM.read_text(encoding="utf-8"), filename=str(SEED_PROGRAM))
        body = [node for node in tree.body
                if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in KEEP]
        found = {node.name for node in body}
        missing = [name for name in KEEP if name not in found]
        if missing:
            raise RuntimeError(f"{SEED_PROGRAM} no longer defines {missing}: update tests/seedref.py")
        module = ast.Module(body=body, type_ignores=[])
        _definitions = compile(module, str(SEED_PROGRAM), "exec")
    return _definitions


def seed_namespace(seed=42):
    """A fresh namespace holding the seed's definitions; its global `random` is the seed's RNG(seed).

    Every call gives new classes and a new generator, so tests do not share state.
    """
    ns = {"__name__": "seed_program", "math": math}
    exec(_compiled(), ns)
    ns["random"] = ns["RNG"](seed)
    return types.SimpleNamespace(**{name: ns[name] for name in KEEP}, globals=ns,
                                 random=ns["random"])


def seed_rng(seed):
    """The seed's RNG class, seeded: `seed_rng(42).random_u32()`."""
    return seed_namespace(0).RNG(seed)


def seed_gen_data_circles(seed=42):
    """The seed's `gen_data` with its commented-out "concentric circles" label line switched
    on instead of the "very simple dataset" one (edited in the seed's source text, so the
    rule is the seed's own words). Draws from a fresh RNG(seed)."""
    source = SEED_PROGRAM.read_text(encoding="utf-8")
    tree = ast.parse(source)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "gen_data")
    lines = ast.get_source_segment(source, func, padded=True).splitlines()
    commented = [i for i, line in enumerate(lines) if line.strip().startswith("# label = ")]
    active = [i for i, line in enumerate(lines) if line.strip().startswith("label = ")]
    if len(commented) != 1 or len(active) != 1:
        raise RuntimeError(f"{SEED_PROGRAM}: gen_data's label lines changed; update tests/seedref.py")
    lines[commented[0]] = lines[commented[0]].replace("# label = ", "label = ", 1)
    lines[active[0]] = lines[active[0]].replace("label = ", "# label = ", 1)
    ns = seed_namespace(seed).globals
    exec(compile("\n".join(lines), str(SEED_PROGRAM), "exec"), ns)
    return ns["gen_data"]


def seed_run(steps, seed=42):
    """Run the seed program itself for `steps` training steps (its `range(100)` loop shortened).

    The whole program is executed as written except two edits made on its syntax tree: the
    module-level `random = RNG(42)` takes `seed`, and the training loop's `range(100)`
    becomes `range(steps)`. Its `print` lines are collected instead of printed. About a
    quarter of a second per step. Returns a namespace: `lines` (what it printed), `model`,
    `train_split`, `val_split`, `test_split`, `eval_split`, `nll_loss`, `Value`.
    """
    source = SEED_PROGRAM.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(SEED_PROGRAM))
    seeded = loops = 0
    for node in tree.body:
        if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["random"]
                and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "RNG"):
            node.value.args = [ast.Name("SEED", ast.Load())]
            seeded += 1
        elif (isinstance(node, ast.For) and isinstance(node.iter, ast.Call)
              and getattr(node.iter.func, "id", None) == "range"
              and len(node.iter.args) == 1 and getattr(node.iter.args[0], "value", None) == 100):
            node.iter.args = [ast.Name("STEPS", ast.Load())]
            loops += 1
    if (seeded, loops) != (1, 1):
        raise RuntimeError(f"{SEED_PROGRAM}: cannot find `random = RNG(42)` and the `range(100)` "
                           "training loop; update tests/seedref.py")
    ast.fix_missing_locations(tree)
    lines = []
    ns = {"__name__": "seed_program", "SEED": seed, "STEPS": steps,
          "print": lambda *args: lines.append(" ".join(str(a) for a in args))}
    exec(compile(tree, str(SEED_PROGRAM), "exec"), ns)
    names = ("model", "train_split", "val_split", "test_split", "eval_split", "nll_loss", "Value")
    return types.SimpleNamespace(lines=lines, **{k: ns[k] for k in names})


# ---------------------------------------------------------------------- comparing printed runs

GOLDEN = Path(__file__).resolve().parent / "golden"
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
