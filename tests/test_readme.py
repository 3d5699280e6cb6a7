"""The README, run as a reader would: every ```bash and ```python block, in order (issue 10, point 5).

A README line must never again be false. The blocks run in a scratch copy of the repository (the
files a clone has; nothing beside it), as a reader follows them:
  - the first block is the Quick start: it makes `.venv` with `python3 -m venv` and installs the
    package into it (`pip install -e .`, with pip's configured indexes): a fresh venv, made here;
  - each later bash block runs in a new shell with that venv activated (`. .venv/bin/activate`,
    as the README tells the reader to do in a new shell), from the repository's root;
  - each Python block runs in a new interpreter of that venv, with the files earlier blocks made.
A block must exit 0. Lines `#> text` in a block are its expected output: stdout must be exactly
those lines. A block that needs a display, a browser, the network, torch or a long run is preceded
by `<!-- readme-test: skip (reason) -->` and skipped with that reason. New blocks need nothing here.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mdblocks import parse  # the Markdown block parser, shared with tests/test_docs.py

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TIMEOUT = 300  # seconds per block: a block that serves forever is a missing skip marker


# ---------------------------------------------------------------------- reading the README

BLOCKS = parse(README.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- the parser (fast)


def test_parse_finds_bash_and_python_blocks_with_their_markers():
    text = "\n".join(
        [
            "# T",
            "```bash",
            "echo one",
            "```",
            "<!-- readme-test: skip (serves until Ctrl-C (or SIGTERM)) -->",
            "",
            "```python",
            "print(2)",
            "#> 2",
            "```",
            "```",
            "not code",
            "```",
            "```json",
            "{}",
            "```",
        ]
    )
    blocks = parse(text)
    assert [(b.line, b.lang, b.skip) for b in blocks] == [(2, "bash", None), (7, "python", "serves until Ctrl-C (or SIGTERM)")]
    assert blocks[0].code == "echo one\n" and blocks[0].expected is None
    assert blocks[1].expected == ["2"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("<!-- readme-test: skip (x) -->\n\n    <!-- readme-test: skip (an example, indented) -->\n", "right before"),
        ("<!-- readme-test: skipp (x) -->\n```bash\nls\n```", "malformed marker"),
        ("<!-- readme-test: skip -->\n```bash\nls\n```", "malformed marker"),
        ("<!-- readme-test: skip (x) -->\ntext\n```bash\nls\n```", "right before a code block"),
        ("```bash\nls\n", "never closes"),
    ],
)
def test_parse_refuses_a_bad_marker_or_an_open_block(text, message):
    with pytest.raises(ValueError, match=message):
        parse(text)


def test_the_readme_has_blocks_and_starts_with_the_quick_start():
    assert len(BLOCKS) >= 5
    first = BLOCKS[0]
    assert first.lang == "bash" and first.skip is None
    assert "-m venv .venv" in first.code and ". .venv/bin/activate" in first.code  # later blocks rely on it


# ---------------------------------------------------------------------- running the blocks (slow)


def _repo_files():
    """The files a clone has (tracked, plus new files not ignored), else everything but caches and venvs."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
        )
        return [p for p in out.stdout.decode().split("\0") if p and (ROOT / p).is_file()]
    skip = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "build", "dist", "out"}
    return [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*")
        if p.is_file() and not skip & set(p.relative_to(ROOT).parts) and ".egg-info" not in str(p)
    ]


class Reader:
    """A scratch copy of the repository and a reader's new shell there (no venv active, no PYTHONPATH
    into this checkout); `failed` is the block that failed, if one did."""

    def __init__(self, repo):
        self.repo, self.failed = repo, None

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env["MPLBACKEND"] = "Agg"  # no display here
        return env

    def __repr__(self):  # what a failing test prints: the place, not the environment
        return f"Reader({self.repo})"


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    repo = tmp_path_factory.mktemp("readme") / "micrograd"
    for rel in _repo_files():
        dest = repo / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    return Reader(repo)


def _run(block, reader):
    repo = reader.repo
    if block.lang == "bash":
        activate = ". .venv/bin/activate\n" if (repo / ".venv" / "bin" / "activate").exists() else ""
        cmd = ["bash", "-c", "set -eo pipefail\n" + activate + block.code]
    else:
        python = repo / ".venv" / "bin" / "python"
        assert python.exists(), "no .venv: the Quick start block did not make it"
        script = repo.parent / f"block_L{block.line}.py"  # beside the repository: no stray file in it
        script.write_text(block.code, encoding="utf-8")
        cmd = [str(python), str(script)]
    return subprocess.run(cmd, cwd=repo, env=reader.env(), capture_output=True, text=True, timeout=TIMEOUT)


# ---------------------------------------------------------------------- prose that names the registries


def test_the_flags_line_lists_each_registry_as_it_is():
    """README's "Flags:" paragraph spells out each choice list; it must be the registry's list, so a new
    optimizer, dataset, activation, init, engine or preset that is not named there fails here."""
    from micrograd.config import PRESETS, TrainConfig
    from micrograd.data import DATASETS
    from micrograd.engines import ENGINES
    from micrograd.nn import ACTIVATIONS, INITS
    from micrograd.optim import OPTIMIZERS

    text = README.read_text(encoding="utf-8")
    listed = {m["flag"]: m["choices"].split(",") for m in re.finditer(r"`--(?P<flag>[a-z-]+) \{(?P<choices>[^}]*)\}`", text)}
    registries = {
        "preset": PRESETS,
        "dataset": DATASETS,
        "activation": ACTIVATIONS,
        "init": INITS,
        "optimizer": OPTIMIZERS,
        "engine": ENGINES,
    }
    assert TrainConfig.PRESETS is PRESETS
    for flag, registry in registries.items():
        assert listed.get(flag) == list(registry), f"README lists --{flag} {listed.get(flag)}, the registry has {list(registry)}"


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=repr)
def test_readme_block_runs_as_written(block, reader):
    if block.skip is not None:
        pytest.skip(f"README line {block.line}: {block.skip}")
    if reader.failed is not None:
        pytest.skip(f"an earlier block failed ({reader.failed}); this one would run in its wreck")
    reader.failed = block  # until it passes
    out = _run(block, reader)
    assert out.returncode == 0, (
        f"README line {block.line} ({block.lang}) exited {out.returncode}\n"
        f"--- code\n{block.code}--- stdout (tail)\n{out.stdout[-3000:]}--- stderr (tail)\n{out.stderr[-3000:]}"
    )
    if block.expected is not None:
        got = out.stdout.splitlines()
        assert got == block.expected, f"README line {block.line}: the block prints {got}, its #> lines say {block.expected}"
    reader.failed = None
