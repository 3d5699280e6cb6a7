"""The tutorial (docs/en, docs/zh) and README.zh-CN.md, run as a reader would (issue 11, point 3).

A tutorial page must never go stale. Each page's ```bash and ```python blocks run in order, in a fresh
scratch directory per page (so a block sees the files the page's earlier blocks wrote), with this
checkout's package first on PYTHONPATH and `micrograd` / `python` on PATH as this interpreter: no venv
per page, so the whole tutorial runs in seconds. The rules are README.md's (tests/mdblocks.py): `#> text`
lines are the block's exact stdout, `<!-- readme-test: skip (reason) -->` before a block skips it.

The fast checks keep the two languages in step: the same page files, the same heading outline, the
same code blocks printing the same output; every relative link and picture resolves.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mdblocks import parse

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGUAGES = ("en", "zh")
TIMEOUT = 120  # seconds per block
# pages whose blocks need a module that lands with another branch (issue 11's grader, helper h16): until the
# module is in this checkout they are skipped with that reason; once it is, they run (delete the entry then)
NEEDS = {"12-check-your-engine.md": "src/micrograd/gradcheck.py"}


def _pages(lang):
    return sorted((DOCS / lang).glob("*.md"))


PAGES = [p for lang in LANGUAGES for p in _pages(lang)] + [ROOT / "README.zh-CN.md"]


def _rel(path):
    return path.relative_to(ROOT).as_posix()


def _outside_code(text):
    """The page's lines that are not inside a fenced block (headings and links are read from these)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def headings(text):
    """The outline: the level (number of #) of each heading, in order."""
    return [len(m.group(1)) for m in (re.match(r"^(#{1,6}) \S", ln) for ln in _outside_code(text)) if m]


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


def links(text):
    """Every link and picture target of a page (Markdown `[..](..)`, `![..](..)`, `<img src>`)."""
    return [a or b for ln in _outside_code(text) for a, b in LINK.findall(ln)]


# ---------------------------------------------------------------------- structure (fast)


def test_both_languages_have_the_same_pages():
    names = {lang: [p.name for p in _pages(lang)] for lang in LANGUAGES}
    assert names["en"] == names["zh"]
    assert "README.md" in names["en"]  # the index
    sections = [n for n in names["en"] if re.match(r"^\d\d-", n)]
    assert len(sections) >= 12, sections


@pytest.mark.parametrize("name", [p.name for p in _pages("en")])
def test_each_page_has_the_same_outline_and_code_in_both_languages(name):
    en, zh = ((DOCS / lang / name).read_text(encoding="utf-8") for lang in LANGUAGES)
    assert headings(en) == headings(zh), f"{name}: the heading outline differs between en and zh"
    assert headings(en)[:1] == [1], f"{name}: a page starts with one # title"
    ben, bzh = parse(en, f"docs/en/{name}"), parse(zh, f"docs/zh/{name}")
    assert [(b.lang, b.skip is None, b.expected) for b in ben] == [(b.lang, b.skip is None, b.expected) for b in bzh], (
        f"{name}: the code blocks differ (language, skipped or not, or the output they show)"
    )
    pictures = [t for t in links(en) if t.endswith((".png", ".svg"))]
    assert pictures == [t for t in links(zh) if t.endswith((".png", ".svg"))], f"{name}: different pictures"


def test_the_index_links_every_page_in_order():
    for lang in LANGUAGES:
        index = (DOCS / lang / "README.md").read_text(encoding="utf-8")
        targets = [t for t in links(index) if re.match(r"^\d\d-.*\.md$", t)]
        assert targets == [p.name for p in _pages(lang) if p.name != "README.md"], lang


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_every_relative_link_and_picture_resolves(page):
    text = page.read_text(encoding="utf-8")
    found = links(text)
    assert found, f"{_rel(page)} links nothing"
    for target in found:
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the page
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{_rel(page)} links {target}, which does not exist"
        assert ROOT in path.parents, f"{_rel(page)} links {target}, outside the repository"


def test_the_chinese_readme_and_the_readme_link_each_other():
    zh = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert "README.md" in links(zh) and "docs/zh/README.md" in links(zh)


def test_the_outline_and_link_readers_see_through_code_blocks():
    text = "# T\n```python\n# a comment, not a heading\nx = '[a](b.md)'\n```\n## S\n[c](d.md) ![e](f.png)\n"
    assert headings(text) == [1, 2]
    assert links(text) == ["d.md", "f.png"]


# ---------------------------------------------------------------------- running the blocks


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory):
    """`micrograd` and `python` commands that run this interpreter on this checkout (as an install would)."""
    bin_dir = tmp_path_factory.mktemp("bin")
    for name, line in (("micrograd", f'exec "{sys.executable}" -m micrograd "$@"'), ("python", f'exec "{sys.executable}" "$@"')):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{line}\n", encoding="utf-8")
        script.chmod(0o755)
    return bin_dir


def _env(bin_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src")] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["MPLBACKEND"] = "Agg"  # no display here
    return env


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_every_block_of_the_page_runs_as_written(page, bin_dir, tmp_path):
    blocks = parse(page.read_text(encoding="utf-8"), _rel(page))
    needs = NEEDS.get(page.name)
    if needs and not (ROOT / needs).exists():
        pytest.skip(f"{_rel(page)} needs {needs} (micrograd.gradcheck and `micrograd check`, helper h16's branch)")
    env = _env(bin_dir)
    for block in blocks:
        if block.skip is not None:
            continue
        if block.lang == "bash":
            cmd = ["bash", "-c", "set -eo pipefail\n" + block.code]
        else:
            script = tmp_path.parent / f"{tmp_path.name}_L{block.line}.py"  # beside the scratch dir: no stray file in it
            script.write_text(block.code, encoding="utf-8")
            cmd = [sys.executable, str(script)]
        out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        where = f"{_rel(page)} line {block.line} ({block.lang})"
        assert out.returncode == 0, (
            f"{where} exited {out.returncode}\n--- code\n{block.code}--- stdout (tail)\n{out.stdout[-3000:]}"
            f"--- stderr (tail)\n{out.stderr[-3000:]}"
        )
        if block.expected is not None:
            assert out.stdout.splitlines() == block.expected, (
                f"{where}: prints {out.stdout.splitlines()}, its #> lines say {block.expected}"
            )
