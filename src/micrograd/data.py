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
| plane   | target  | regression: (x + y) / 4 over x, y in [-2, 2)                |
| gauss   | target  | regression: a +1 bump at (1, 1) minus one at (-1, -1)       |
| digits  | 10      | scikit-learn's 8x8 handwritten digits (1,797 images, 64 inputs in [0, 1]; needs the `digits` extra) |

`load_csv(path)` reads a user's own points: a header line, then `x1,...,xk,label` rows.

The Playground controls (last section): `make(..., noise=)` for the generators that take a noise level,
`resplit(splits, ratio)` for another train/val/test ratio, `featurize(splits, features)` for feature
inputs (x, y, x2, y2, xy, sinx, siny) computed from 2-D points.
"""

import csv
import inspect
import math
import os
import re

from .rng import RNG


def split(points):
    """(train, val, test) = the first 80%, the next 10%, the rest (the seed's int() cuts)."""
    n = len(points)
    return points[: int(0.8 * n)], points[int(0.8 * n) : int(0.9 * n)], points[int(0.9 * n) :]


def _split_drawn(rng, points):
    """split(points) of a generated dataset, refused if the draws were degenerate: RNG(0) draws
    only zeros (its state stays 0), so the points are copies of one or two and the run would
    report a meaningless 100% accuracy."""
    distinct = len({tuple(x) for x, _ in points})
    if rng.state == 0 or distinct == 1:
        raise ValueError(
            f"the {len(points)} generated points are {distinct} distinct one{'s' if distinct > 1 else ''} repeated: "
            f"the RNG is degenerate ({rng!r} draws only zeros): use a nonzero seed"
        )
    return split(points)


def _check(rng, n):
    if not isinstance(rng, RNG):
        raise TypeError(f"rng must be a micrograd.RNG, got {type(rng).__name__}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    if n < 10:
        raise ValueError(f"n must be at least 10 so that every split gets a point, got {n}")


# ---------------------------------------------------------------------- generators


def _square(rng, n, label_of, noise=0.0):
    """n points drawn x then y, uniform in [-2, 2) (the seed's draw order), labelled by a rule;
    with `noise` > 0 each point then moves by gauss(0, noise) in x, then y (its label stays the rule's)."""
    _check(rng, n)
    pts = []
    for _ in range(n):
        x = rng.uniform(-2.0, 2.0)
        y = rng.uniform(-2.0, 2.0)
        label = label_of(x, y)
        if noise:  # no draws at 0: the seed's points
            x, y = x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)
        pts.append(([x, y], label))
    return _split_drawn(rng, pts)


def simple(rng, n=100, noise=0.0):
    """The seed's `gen_data`: three quadrant-like regions."""
    return _square(rng, n, lambda x, y: 0 if x < 0 else 1 if y < 0 else 2, noise)


def circles(rng, n=100, noise=0.0):
    """The seed's commented-out rule: concentric rings."""
    return _square(rng, n, lambda x, y: 0 if x**2 + y**2 < 1 else 1 if x**2 + y**2 < 2 else 2, noise)


def _yinyang_class(x, y, r_small=0.1, r_big=0.5):
    d_right = ((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
    d_left = ((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
    if d_right < r_small or d_left < r_small:
        return 2  # the dots
    is_yin = d_right <= r_small or (r_small < d_left <= 0.5 * r_big) or (y > r_big and d_right > 0.5 * r_big)
    return 0 if is_yin else 1


_YINYANG_MAX_TRIES = 100_000  # draws per point before the RNG is declared degenerate


def yinyang(rng, n=100, r_small=0.1, r_big=0.5, noise=0.0):
    """The course's yin-yang: point i has class i % 3, drawn by rejection in the big circle; with
    `noise` > 0 each point then moves by gauss(0, noise) in x, then y (in the plane's units)."""
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
        x, y = (x / r_big - 1) * 2, (y / r_big - 1) * 2
        if noise:  # no draws at 0: the course's points
            x, y = x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)
        pts.append(([x, y], goal))
    return _split_drawn(rng, pts)


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
    return _split_drawn(rng, pts)


def spiral(rng, n=100, noise=0.2):
    """Three spiral arms (the CS231n classic), radius up to 2."""
    _check(rng, n)
    pts = []
    for i in range(n):
        label = i % 3
        r = rng.random()
        t = label * 4.0 + r * 4.0 + rng.gauss(0.0, noise)
        pts.append(([2.0 * r * math.sin(t), 2.0 * r * math.cos(t)], label))
    return _split_drawn(rng, pts)


gen_data = simple  # the seed's name for it


# ---------------------------------------------------------------------- regression datasets
# A real-valued target over the plane (Playground's two): the label is a float in [-1, 1], the run
# trains one output with the mean squared error (micrograd.train: the task follows the dataset).


def plane(rng, n=100, noise=0.0):
    """A tilted plane: target (x + y) / 4, for x, y uniform in [-2, 2)."""
    return _square(rng, n, lambda x, y: (x + y) / 4.0, noise)


def gauss(rng, n=100, noise=0.0):
    """Two Gaussian bumps: +1 at (1, 1), -1 at (-1, -1) (each exp(-squared distance))."""
    return _square(
        rng, n, lambda x, y: math.exp(-((x - 1) ** 2 + (y - 1) ** 2)) - math.exp(-((x + 1) ** 2 + (y + 1) ** 2)), noise
    )


REGRESSION = frozenset({"plane", "gauss"})  # the generated datasets whose label is a real-valued target


def is_regression(name):
    """Whether the generated dataset `name` has a real-valued target (one output, MSE) rather than classes."""
    return name in REGRESSION


# ---------------------------------------------------------------------- digits: a real dataset

DIGITS_IMAGES, DIGITS_PIXELS = 1797, 64
DIGITS_HINT = "pip install 'micrograd-llm101n[digits]'"


def _load_digits():
    """(images, labels) of scikit-learn's bundled digits: a file inside its package, no network."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(f"--dataset digits needs scikit-learn, which is not installed: {DIGITS_HINT}") from None
    bunch = load_digits()
    return bunch.data.tolist(), bunch.target.tolist()


def digits(rng, n=None):
    """The 1,797 8x8 handwritten digits scikit-learn ships (UCI's), 10 classes, every image used
    (`n` is ignored: the data is not generated). A point is its 64 pixels, each 0..16 in the
    file, divided by 16 so the inputs lie in [0, 1] (tanh's useful range: no neuron starts
    saturated), and its digit 0..9. The images are shuffled with `rng` (its Fisher-Yates
    `shuffle`: the run's seed picks the split), then split 80/10/10 like the generated sets."""
    if not isinstance(rng, RNG):
        raise TypeError(f"rng must be a micrograd.RNG, got {type(rng).__name__}")
    images, labels = _load_digits()
    points = [([v / 16.0 for v in image], int(label)) for image, label in zip(images, labels)]
    rng.shuffle(points)
    return _split_drawn(rng, points)


DATASETS = {
    "simple": simple,
    "circles": circles,
    "yinyang": yinyang,
    "moons": moons,
    "spiral": spiral,
    "plane": plane,
    "gauss": gauss,
    "digits": digits,
}
# the model's outputs, to size a run before drawing (a regression dataset: one)
DATASET_CLASSES = {"simple": 3, "circles": 3, "yinyang": 3, "moons": 2, "spiral": 3, "plane": 1, "gauss": 1, "digits": 10}
DATASET_NIN = 2  # every generated point is (x, y)
DATASET_INPUTS = {"digits": DIGITS_PIXELS}  # the datasets whose points are not (x, y)
DATASET_POINTS = {"digits": DIGITS_IMAGES}  # the datasets whose size is fixed (`n` does not apply)


def make(name, rng, n=100, noise=None):
    """A dataset from the registry by name: `make("yinyang", RNG(42), 100)`. `noise` (None: the
    dataset's own level) is passed to a generator that takes one (see `takes_noise`)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if noise is None:
        return DATASETS[name](rng, n)
    if not takes_noise(name):
        raise ValueError(f"dataset {name!r} takes no noise level, got noise={noise!r}")
    return DATASETS[name](rng, n, noise=noise)


def num_classes(*splits):
    """1 + the largest label in the given splits."""
    return 1 + max(label for s in splits for _, label in s)


# ---------------------------------------------------------------------- CSV

# Limits of a CSV file (micrograd.limits documents them with the memory limit). A file over the
# size limit is refused before it is read, one with too many lines after a fast count (~0.1 s for
# 100 MB) before it is parsed; classes are counted while it is read, so a
# file that breaks a limit is refused as soon as it does, never read whole first.
MAX_CSV_BYTES = 100 * 2**20  # 100 MB
MAX_CSV_ROWS = 1_000_000  # lines after the header, blank ones included (~10 GB on the scalar engine at the seed model)
MAX_CSV_COLUMNS = 1_000  # coordinates + the label
MAX_CLASSES = 100  # distinct labels

_LABEL = re.compile(r"[0-9]+")  # a label: ASCII digits only (int() also reads '1_0', '+1' and '١')


def load_csv(path):
    """Points from a CSV file with a header: `x1,...,xk,label` per row.

    Returns (train, val, test) split 80/10/10 in file order. The labels are any non-negative
    integers; the classes are the distinct labels, re-indexed 0..K-1 in sorted order (labels
    3, 7, 1000 become classes 0, 1, 2). Every problem is a ValueError naming the file and line:
    wrong column count, a coordinate that is not a plain finite decimal number, a label that is
    not a non-negative integer, a field longer than the csv module's limit; and the file as a
    whole: over MAX_CSV_BYTES, MAX_CSV_ROWS, MAX_CSV_COLUMNS or MAX_CLASSES, one class only,
    one class only in the training split (the first 80% of the rows: shuffle them), all points
    identical.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"data file not found: {path}")
    if not os.path.isfile(path):  # a FIFO or a device would block or never end
        raise ValueError(f"{path}: not a regular file")
    size = os.path.getsize(path)
    if size > MAX_CSV_BYTES:
        raise ValueError(f"{path}: {size:,} bytes, over the limit of {MAX_CSV_BYTES:,} bytes for a CSV file (MAX_CSV_BYTES)")
    lines, _ = csv_shape(path)  # a fast count first: a file with too many rows is refused before it is parsed
    if lines - 1 > MAX_CSV_ROWS:
        raise ValueError(
            f"{path}: {lines - 1:,} lines after the header, over the limit of {MAX_CSV_ROWS:,} data rows (MAX_CSV_ROWS)"
        )
    try:
        with open(path, newline="", encoding="utf-8") as f:
            splits = _read_csv(path, f)
    except UnicodeDecodeError as e:  # name the file: the bare codec message does not
        raise ValueError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    return splits


def csv_shape(path):
    """(lines, columns) of a CSV file, without parsing it: its line count (header included; an upper
    bound on its rows, counted in binary at ~1 GB/s) and the header's column count (0 if it has none).
    What sizes a run before the file is read (micrograd.train); load_csv checks everything else."""
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        f.seek(0)
        head = f.readline(1 << 20).decode("utf-8", "replace")
    if last != b"\n":
        lines += 1  # a last line without its newline
    try:
        header = next(csv.reader([head]), [])
    except csv.Error:
        header = []
    return lines, len(header)


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _coordinate(path, line, j, name, cell):
    """A coordinate cell as a float: plain ASCII decimal notation only. Python's float() also reads
    '1_000', non-ASCII digits ('١٢'), 'inf' and 'nan': a CSV user does not mean them, so they are refused."""
    try:
        v = float(cell)
    except ValueError:
        raise ValueError(f"{path} line {line}: column {j + 1} ({name}) is not a number: {cell!r}") from None
    if not math.isfinite(v):
        big = " (too large for a float)" if cell.strip().lower().lstrip("+-") not in ("inf", "infinity", "nan") else ""
        raise ValueError(f"{path} line {line}: column {j + 1} ({name}) is not finite: {cell!r}{big}")
    if not cell.isascii() or "_" in cell:
        raise ValueError(f"{path} line {line}: column {j + 1} ({name}) is not a plain decimal number (digits 0-9): {cell!r}")
    return v


def _rows(path, reader):
    """The reader's rows; a csv.Error (a field over the csv module's limit, a NUL byte) is a ValueError."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise ValueError(
                f"{path} line {reader.line_num}: {e} (csv field limit {csv.field_size_limit():,} characters)"
            ) from None
        yield row


def _read_csv(path, f):
    """The rows of an open CSV file (see load_csv); ValueErrors name the file and line."""
    reader = csv.reader(f)
    rows = _rows(path, reader)
    header = next(rows, None)
    if header is None or not any(h.strip() for h in header):
        raise ValueError(f"{path}: empty file; expected a header line like 'x1,x2,label'")
    ncols = len(header)
    if ncols < 2:
        raise ValueError(f"{path} line 1: header needs at least one coordinate and a label column, got {header}")
    if ncols > MAX_CSV_COLUMNS:
        raise ValueError(f"{path} line 1: {ncols:,} columns, over the limit of {MAX_CSV_COLUMNS:,} (MAX_CSV_COLUMNS)")
    if all(_is_number(h) for h in header):  # a data row where the header belongs: it would be lost silently
        raise ValueError(f"{path} line 1: expected a header line like 'x1,x2,label', got numbers {header}; add a header line")
    names = [h.strip() for h in header]
    # kept while reading: each row's coordinates (a list of floats) and its label's first-seen index
    coords, seen, first_seen = [], {}, []
    for row in rows:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue  # blank line
        if len(row) != ncols:
            raise ValueError(f"{path} line {line}: expected {ncols} columns like the header, got {len(row)}")
        coords.append([_coordinate(path, line, j, names[j], cell) for j, cell in enumerate(row[:-1])])
        cell = row[-1].strip()
        if not _LABEL.fullmatch(cell):
            raise ValueError(f"{path} line {line}: label must be a non-negative integer (digits 0-9), got {row[-1]!r}")
        label = int(cell)
        if label not in seen:
            if len(seen) >= MAX_CLASSES:
                raise ValueError(
                    f"{path} line {line}: label {cell[:40]} is class {len(seen) + 1}, over the limit of {MAX_CLASSES} "
                    "classes (MAX_CLASSES); a label is a class index, not a value to predict"
                )
            seen[label] = len(seen)
        first_seen.append(seen[label])
    if len(coords) < 10:
        raise ValueError(f"{path}: needs at least 10 data rows so that every split gets a point, got {len(coords)}")
    # the classes: the distinct labels in sorted order (a million-valued label is one class, not a million)
    rank = {seen[label]: k for k, label in enumerate(sorted(seen))}
    pts = [(x, rank[c]) for x, c in zip(coords, first_seen)]
    del coords, first_seen
    splits = split(pts)
    _check_not_degenerate(path, splits, labels=sorted(seen))
    return splits


# ---------------------------------------------------------------------- degenerate data


def _check_not_degenerate(source, splits, labels=None):
    """ValueError if the points cannot teach anything: one class, one class in the training split,
    or all points identical (a 100% accuracy that would mean nothing)."""
    pts = [p for s in splits for p in s]
    classes = sorted({c for _, c in pts})
    named = (lambda c: labels[c]) if labels is not None else (lambda c: c)
    if len(classes) < 2:
        raise ValueError(f"{source}: every point has label {named(classes[0])}; a classifier needs at least two classes")
    train_classes = {c for _, c in splits[0]}
    if len(train_classes) < 2:
        raise ValueError(
            f"{source}: the training split (the first 80% of the points) has only label {named(next(iter(train_classes)))}; "
            "shuffle the rows so that it sees every class"
        )
    first = pts[0][0]
    if all(x == first for x, _ in pts):
        raise ValueError(f"{source}: all {len(pts)} points are identical ({first}); there is nothing to learn")


# ---------------------------------------------------------------------- Playground controls: noise, split, features
# What a run may change about its points (TrainConfig's noise, split and features; the demo's data
# controls). At their defaults each is the identity and draws nothing: the seed's points stay bit for bit.

DEFAULT_SPLIT = (80, 10, 10)  # percent of the points in train, val, test (the seed's cuts)


def takes_noise(name):
    """Whether the generated dataset `name` takes a `noise=` level (a generator without one refuses it)."""
    return name in DATASETS and "noise" in inspect.signature(DATASETS[name]).parameters


def resplit(splits, ratio, source="the points"):
    """(train, val, test) cut again from the points in order by `ratio` (percentages, e.g. (70, 20, 10)),
    with the seed's cuts: the first int(r0/100 * n), then up to int((r0+r1)/100 * n), the rest (the
    default (80, 10, 10) gives exactly `split()`). ValueError if a split would be empty."""
    ratio = tuple(ratio)
    if ratio == DEFAULT_SPLIT:
        return splits
    points = [p for s in splits for p in s]
    n = len(points)
    a, b = int(ratio[0] / 100 * n), int((ratio[0] + ratio[1]) / 100 * n)
    out = points[:a], points[a:b], points[b:]
    for name, s in zip(("train", "val", "test"), out):
        if not s:
            raise ValueError(
                f"split {','.join(map(str, ratio))} leaves the {name} split of {source} ({n} points) empty: "
                "give it a larger share or use more points"
            )
    return out


# name -> f(x, y): the inputs a model may see instead of (x, y) (Playground's X1, X2, X1², X2², X1X2, sin X1, sin X2)
# each feature of the point (x, y); `sin` is math.sin for a point, numpy's for a grid of them (feature_columns)
FEATURES = {
    "x": lambda x, y, sin: x,
    "y": lambda x, y, sin: y,
    "x2": lambda x, y, sin: x * x,
    "y2": lambda x, y, sin: y * y,
    "xy": lambda x, y, sin: x * y,
    "sinx": lambda x, y, sin: sin(x),
    "siny": lambda x, y, sin: sin(y),
}
DEFAULT_FEATURES = ("x", "y")


def feature_row(x, y, features):
    """The model's inputs for the point (x, y): one float per feature name."""
    return [FEATURES[f](x, y, math.sin) for f in features]


def feature_columns(xs, ys, features):
    """The model's inputs for many points at once: xs, ys NumPy arrays (N,) -> an (N, len(features))
    float64 array (what plots and the demo evaluate over the plane; NumPy's sin may differ from
    math.sin in the last bit, so training uses feature_row's floats)."""
    import numpy as np

    return np.column_stack([np.broadcast_to(FEATURES[f](xs, ys, np.sin), xs.shape) for f in features]).astype(np.float64)


def featurize(splits, features, source="the points"):
    """(train, val, test) with each point's (x, y) replaced by its `features` (the default (x, y)
    returns `splits` itself). Features need 2-D points: anything else is a ValueError."""
    features = tuple(features)
    if features == DEFAULT_FEATURES:
        return splits
    for s in splits:
        for xs, _ in s[:1]:
            if len(xs) != 2:
                raise ValueError(
                    f"features {','.join(features)} need points in the plane (x, y); {source} have {len(xs)} "
                    "coordinates: use the default features x,y"
                )
    fs = [FEATURES[f] for f in features]
    return tuple([([f(xs[0], xs[1], math.sin) for f in fs], label) for xs, label in s] for s in splits)
