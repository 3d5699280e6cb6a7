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
| digits  | 10      | scikit-learn's 8x8 handwritten digits (1,797 images, 64 inputs in [0, 1]; needs the `digits` extra) |

`load_csv(path)` reads a user's own points: a header line, then `x1,...,xk,label` rows.
"""

import csv
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


def _square(rng, n, label_of):
    """n points drawn x then y, uniform in [-2, 2) (the seed's draw order), labelled by a rule."""
    _check(rng, n)
    pts = []
    for _ in range(n):
        x = rng.uniform(-2.0, 2.0)
        y = rng.uniform(-2.0, 2.0)
        pts.append(([x, y], label_of(x, y)))
    return _split_drawn(rng, pts)


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


DATASETS = {"simple": simple, "circles": circles, "yinyang": yinyang, "moons": moons, "spiral": spiral, "digits": digits}
DATASET_CLASSES = {"simple": 3, "circles": 3, "yinyang": 3, "moons": 2, "spiral": 3, "digits": 10}  # sizes a run before drawing
DATASET_NIN = 2  # every generated point is (x, y)
DATASET_INPUTS = {"digits": DIGITS_PIXELS}  # the datasets whose points are not (x, y)
DATASET_POINTS = {"digits": DIGITS_IMAGES}  # the datasets whose size is fixed (`n` does not apply)


def make(name, rng, n=100):
    """A dataset from the registry by name: `make("yinyang", RNG(42), 100)`."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name](rng, n)


def num_classes(*splits):
    """1 + the largest label in the given splits."""
    return 1 + max(label for s in splits for _, label in s)


# ---------------------------------------------------------------------- CSV

# Limits of a CSV file (micrograd.limits documents them with the memory limit). A file over the
# size limit is refused before it is read; rows and classes are counted while it is read, so a
# file that breaks a limit is refused as soon as it does, never read whole first.
MAX_CSV_BYTES = 100 * 2**20  # 100 MB
MAX_CSV_ROWS = 1_000_000  # data rows (the scalar engine would need ~10 GB for them at the default model)
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
    try:
        with open(path, newline="", encoding="utf-8") as f:
            splits = _read_csv(path, f)
    except UnicodeDecodeError as e:  # name the file: the bare codec message does not
        raise ValueError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    return splits


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
        if len(coords) >= MAX_CSV_ROWS:
            raise ValueError(f"{path} line {line}: more than {MAX_CSV_ROWS:,} data rows, the limit (MAX_CSV_ROWS)")
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
