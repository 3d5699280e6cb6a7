"""micrograd.data — toy datasets and CSV loading.

Every generator takes an `RNG` and a size `n` and returns `(train, val, test)`, the
points split 80/10/10 in the order they were drawn (as the seed does). A point is
`([x1, x2, ...], label)` with an int label 0..C-1.

| name    | classes | what                                                        |
|---------|---------|-------------------------------------------------------------|
| simple  | 3       | the seed's `gen_data`: x, y in [-2, 2); 0 if x<0, 1 if y<0, else 2 |
| circles | 3       | the seed's commented rule: rings at radius 1 and sqrt(2)    |
| yinyang | 3       | the course's final dataset (yin, yang, the two dots)        |
| moons   | 2       | two interleaved half circles, with noise                    |
| spiral  | 3       | three interleaved spiral arms, with noise                   |

`load_csv(path)` reads a user's own points: a header line, then `x1,...,xk,label` rows.
"""

import csv
import math
import os

from .rng import RNG


def split(points):
    """(train, val, test) = the first 80%, the next 10%, the rest (the seed's int() cuts)."""
    n = len(points)
    return points[: int(0.8 * n)], points[int(0.8 * n) : int(0.9 * n)], points[int(0.9 * n) :]


def _check(rng, n):
    if not isinstance(rng, RNG):
        raise TypeError(f"rng must be a micrograd.RNG, got {type(rng).__name__}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    if n < 10:
        raise ValueError(f"n must be at least 10 so that every split gets a point, got {n}")


# ---------------------------------------------------------------------- generators


def _square(rng, n, label_of):
    """n points drawn x then y, uniform in [-2, 2) (the seed's draw order), labelled by a rule."""
    _check(rng, n)
    pts = []
    for _ in range(n):
        x = rng.uniform(-2.0, 2.0)
        y = rng.uniform(-2.0, 2.0)
        pts.append(([x, y], label_of(x, y)))
    return split(pts)


def simple(rng, n=100):
    """The seed's `gen_data`: three quadrant-like regions."""
    return _square(rng, n, lambda x, y: 0 if x < 0 else 1 if y < 0 else 2)


def circles(rng, n=100):
    """The seed's commented-out rule: concentric rings."""
    return _square(rng, n, lambda x, y: 0 if x**2 + y**2 < 1 else 1 if x**2 + y**2 < 2 else 2)


def _yinyang_class(x, y, r_small=0.1, r_big=0.5):
    d_right = ((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
    d_left = ((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
    if d_right < r_small or d_left < r_small:
        return 2  # the dots
    is_yin = d_right <= r_small or (r_small < d_left <= 0.5 * r_big) or (y > r_big and d_right > 0.5 * r_big)
    return 0 if is_yin else 1


_YINYANG_MAX_TRIES = 100_000  # draws per point before the RNG is declared degenerate


def yinyang(rng, n=100, r_small=0.1, r_big=0.5):
    """The course's yin-yang: point i has class i % 3, drawn by rejection in the big circle."""
    _check(rng, n)
    pts = []
    for i in range(n):
        goal = i % 3
        tries = 0
        while True:
            # a degenerate RNG (RNG(0) draws only zeros) would otherwise loop forever; a real one
            # finds each class in ~16 draws, so this bound is never reached by chance
            tries += 1
            if tries > _YINYANG_MAX_TRIES:
                raise ValueError(
                    f"yinyang: no point of class {goal} in {_YINYANG_MAX_TRIES} draws (rng={rng!r}, "
                    f"r_small={r_small!r}, r_big={r_big!r}); RNG(0) draws only zeros: use a nonzero seed"
                )
            x = rng.uniform(0, 2 * r_big)
            y = rng.uniform(0, 2 * r_big)
            if ((x - r_big) ** 2 + (y - r_big) ** 2) ** 0.5 > r_big:
                continue
            if _yinyang_class(x, y, r_small, r_big) == goal:
                break
        pts.append(([(x / r_big - 1) * 2, (y / r_big - 1) * 2], goal))
    return split(pts)


def moons(rng, n=100, noise=0.1):
    """Two interleaved half circles (like scikit-learn's make_moons), scaled to about [-2, 2]."""
    _check(rng, n)
    pts = []
    for i in range(n):
        label = i % 2
        t = rng.uniform(0.0, math.pi)
        if label == 0:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
        x += rng.gauss(0.0, noise)
        y += rng.gauss(0.0, noise)
        pts.append(([(x - 0.5) * 1.6, (y - 0.25) * 1.6], label))
    return split(pts)


def spiral(rng, n=100, noise=0.2):
    """Three spiral arms (the CS231n classic), radius up to 2."""
    _check(rng, n)
    pts = []
    for i in range(n):
        label = i % 3
        r = rng.random()
        t = label * 4.0 + r * 4.0 + rng.gauss(0.0, noise)
        pts.append(([2.0 * r * math.sin(t), 2.0 * r * math.cos(t)], label))
    return split(pts)


gen_data = simple  # the seed's name for it


DATASETS = {"simple": simple, "circles": circles, "yinyang": yinyang, "moons": moons, "spiral": spiral}
DATASET_CLASSES = {"simple": 3, "circles": 3, "yinyang": 3, "moons": 2, "spiral": 3}  # sizes a run before drawing
DATASET_NIN = 2  # every generated point is (x, y)


def make(name, rng, n=100):
    """A dataset from the registry by name: `make("yinyang", RNG(42), 100)`."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name](rng, n)


def num_classes(*splits):
    """1 + the largest label in the given splits."""
    return 1 + max(label for s in splits for _, label in s)


# ---------------------------------------------------------------------- CSV


def load_csv(path):
    """Points from a CSV file with a header: `x1,...,xk,label` per row.

    Returns (train, val, test) split 80/10/10 in file order. Every problem is a
    ValueError naming the file and line: wrong column count, a non-numeric or
    non-finite coordinate, a label that is not a non-negative integer.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return _read_csv(path, f)
    except UnicodeDecodeError as e:  # name the file: the bare codec message does not
        raise ValueError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_csv(path, f):
    """The rows of an open CSV file (see load_csv); ValueErrors name the file and line."""
    pts = []
    reader = csv.reader(f)
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise ValueError(f"{path}: empty file; expected a header line like 'x1,x2,label'")
    ncols = len(header)
    if ncols < 2:
        raise ValueError(f"{path} line 1: header needs at least one coordinate and a label column, got {header}")
    if all(_is_number(h) for h in header):  # a data row where the header belongs: it would be lost silently
        raise ValueError(f"{path} line 1: expected a header line like 'x1,x2,label', got numbers {header}; add a header line")
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue  # blank line
        if len(row) != ncols:
            raise ValueError(f"{path} line {line}: expected {ncols} columns like the header, got {len(row)}")
        coords = []
        for j, cell in enumerate(row[:-1]):
            try:
                v = float(cell)
            except ValueError:
                raise ValueError(f"{path} line {line}: column {j + 1} ({header[j].strip()}) is not a number: {cell!r}") from None
            if not math.isfinite(v):
                raise ValueError(f"{path} line {line}: column {j + 1} ({header[j].strip()}) is not finite: {cell!r}")
            coords.append(v)
        cell = row[-1].strip()
        try:
            label = int(cell)
        except ValueError:
            label = -1
        if label < 0:
            raise ValueError(f"{path} line {line}: label must be a non-negative integer, got {row[-1]!r}")
        pts.append((coords, label))
    if len(pts) < 10:
        raise ValueError(f"{path}: needs at least 10 data rows so that every split gets a point, got {len(pts)}")
    return split(pts)
