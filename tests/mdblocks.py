"""Markdown code blocks as a reader runs them: the parser shared by tests/test_readme.py (README.md) and
tests/test_docs.py (the tutorial in docs/ and README.zh-CN.md).

A fenced block is ```bash or ```python; `#> text` lines in it are its expected stdout; a line
`<!-- readme-test: skip (reason) -->` right before a block (blank lines between allowed) skips it.
"""

import re

LANGS = ("bash", "python")  # the blocks a reader runs; plain ``` blocks are file formats, output, ...
MARKER = re.compile(r"^<!--\s*readme-test:\s*skip\s*\((?P<reason>[^)]*(?:\([^)]*\)[^)]*)*)\)\s*-->$")


# ---------------------------------------------------------------------- blocks


class Block:
    """One fenced code block: its 1-based line (the opening fence), language, code, skip reason."""

    def __init__(self, line, lang, code, skip=None):
        self.line, self.lang, self.code, self.skip = line, lang, code, skip

    @property
    def expected(self):
        """The `#> text` lines: the output the block shows, or None if it shows none."""
        want = [ln.strip()[3:] if ln.strip() != "#>" else "" for ln in self.code.splitlines() if ln.strip()[:2] == "#>"]
        return want or None

    def __repr__(self):
        return f"{self.lang}@L{self.line}"


def parse(text, name="README"):
    """The bash and python blocks of a Markdown text, in order, each with the reason of the skip
    marker on the nearest non-blank line before it. A malformed or stray marker is a ValueError."""
    lines = text.splitlines()
    blocks, marker_at, i = [], {}, 0
    for n, ln in enumerate(lines):
        if ln.startswith("<!--") and "readme-test" in ln:  # a marker starts its line (an example can be indented)
            m = MARKER.match(ln.strip())
            if not m:
                raise ValueError(f"{name} line {n + 1}: malformed marker {ln.strip()!r}; write <!-- readme-test: skip (why) -->")
            marker_at[n] = m.group("reason").strip()
    used = set()
    while i < len(lines):
        fence = re.match(r"^```(\S*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"{name} line {i + 1}: a code block that never closes")
        prev = i - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        skip = marker_at.get(prev)
        if prev in marker_at:
            used.add(prev)
        if fence.group(1) in LANGS:
            blocks.append(Block(i + 1, fence.group(1), "\n".join(lines[i + 1 : end]) + "\n", skip))
        i = end + 1
    stray = sorted(set(marker_at) - used)
    if stray:
        raise ValueError(f"{name} line {stray[0] + 1}: a readme-test marker must come right before a code block")
    return blocks
