"""Tests for micrograd.data: the generators, the 80/10/10 split and the CSV loader.

References: the seed's own `gen_data` (and its commented-out circles rule, switched on in
the seed's source text) from `seedref`; the issue's yin-yang spec written out here
independently; the seed's RNG for the streams. Moons and spiral have no reference
program: they are checked for sizes, labels, geometry and determinism.
"""

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedref import seed_gen_data_circles, seed_namespace, seed_rng

from micrograd import RNG, data

GENERATORS = ["simple", "circles", "yinyang", "moons", "spiral"]


def cuts(n):
    """The seed's split sizes, from its own int() cuts."""
    a, b = int(0.8 * n), int(0.9 * n)
    return a, b - a, n - b


# ---------------------------------------------------------------------- simple, circles: the seed's


def test_simple_equals_the_seeds_gen_data():
    ref = seed_namespace(42)
    assert data.simple(RNG(42), 100) == ref.gen_data(100)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=1, max_value=2**64 - 1), n=st.integers(min_value=10, max_value=300))
def test_simple_equals_the_seeds_gen_data_for_any_seed_and_n(seed, n):
    ref = seed_namespace(seed)
    assert data.simple(RNG(seed), n) == ref.gen_data(n)


def test_simple_leaves_the_rng_where_the_seed_does():
    # the model's weights are drawn next: the stream position must match the seed's
    rng, ref = RNG(42), seed_namespace(42)
    data.simple(rng, 100)
    ref.gen_data(100)
    assert rng.state == ref.random.state


def test_circles_follows_the_seeds_commented_rule():
    for seed, n in ((42, 100), (3, 57), (2**40 + 1, 3000)):
        assert data.circles(RNG(seed), n) == seed_gen_data_circles(seed)(n)


def test_circles_has_all_three_rings():
    tr, va, te = data.circles(RNG(42), 300)
    assert {label for _, label in tr + va + te} == {0, 1, 2}


# ---------------------------------------------------------------------- yinyang: the spec

R_SMALL, R_BIG = 0.1, 0.5


def spec_class(x, y):
    """The issue's rule, as written there."""
    d_r = math.hypot(x - 0.75, y - 0.5)
    d_l = math.hypot(x - 0.25, y - 0.5)
    if d_r < R_SMALL or d_l < R_SMALL:
        return 2
    if d_r <= R_SMALL or (R_SMALL < d_l <= 0.25) or (y > 0.5 and d_r > 0.25):
        return 0
    return 1


def spec_yinyang(seed, n):
    """The issue's generator: goal i % 3; draw x then y = uniform(0, 1) until in the big circle and of the goal class."""
    rng = seed_rng(seed)
    pts = []
    for i in range(n):
        goal = i % 3
        while True:
            x = rng.uniform(0, 1)
            y = rng.uniform(0, 1)
            if math.hypot(x - 0.5, y - 0.5) <= R_BIG and spec_class(x, y) == goal:
                break
        pts.append(([(x / 0.5 - 1) * 2, (y / 0.5 - 1) * 2], goal))
    split_at = (int(0.8 * n), int(0.9 * n))
    return pts[: split_at[0]], pts[split_at[0] : split_at[1]], pts[split_at[1] :]


@pytest.mark.parametrize("seed, n", [(42, 100), (7, 31), (123456789, 300)])
def test_yinyang_equals_the_spec_point_for_point(seed, n):
    assert data.yinyang(RNG(seed), n) == spec_yinyang(seed, n)


def test_yinyang_points_obey_the_spec():
    tr, va, te = data.yinyang(RNG(42), 300)
    pts = tr + va + te
    assert len(pts) == 300
    for i, ([sx, sy], label) in enumerate(pts):
        assert label == i % 3  # the classes cycle
        x, y = (sx / 2 + 1) * 0.5, (sy / 2 + 1) * 0.5  # un-scale to the unit square
        assert math.hypot(x - 0.5, y - 0.5) <= R_BIG + 1e-12, (i, x, y)
        assert spec_class(x, y) == label, (i, x, y)
        assert -2.0 <= sx <= 2.0 and -2.0 <= sy <= 2.0


def test_yinyang_leaves_the_rng_where_the_spec_does():
    rng, ref = RNG(42), seed_rng(42)
    data.yinyang(rng, 100)
    # replay the spec's draws on the reference stream
    for i in range(100):
        while True:
            x, y = ref.uniform(0, 1), ref.uniform(0, 1)
            if math.hypot(x - 0.5, y - 0.5) <= R_BIG and spec_class(x, y) == i % 3:
                break
    assert rng.state == ref.state


# ---------------------------------------------------------------------- moons, spiral


def test_moons_sizes_labels_and_geometry():
    tr, va, te = data.moons(RNG(42), 400)
    pts = tr + va + te
    assert (len(tr), len(va), len(te)) == cuts(400)
    assert [label for _, label in pts] == [i % 2 for i in range(400)]
    for [sx, sy], label in pts:
        assert all(isinstance(v, float) and math.isfinite(v) for v in (sx, sy))
        x, y = sx / 1.6 + 0.5, sy / 1.6 + 0.25  # back to the unit half circles
        # moon 0: the upper half of the unit circle at (0, 0); moon 1: the lower half at (1, 0.5)
        cx, cy = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert abs(math.hypot(x - cx, y - cy) - 1.0) < 0.6  # noise 0.1 per coordinate: 6 sigma
    # the two moons sit apart on average: moon 0 higher than moon 1
    mean_y = [sum(p[0][1] for p in pts if p[1] == c) / 200 for c in (0, 1)]
    assert mean_y[0] > mean_y[1] + 0.5


def test_spiral_sizes_labels_and_geometry():
    tr, va, te = data.spiral(RNG(42), 300)
    pts = tr + va + te
    assert (len(tr), len(va), len(te)) == cuts(300)
    assert [label for _, label in pts] == [i % 3 for i in range(300)]
    for [x, y], _ in pts:
        assert math.hypot(x, y) < 2.0 + 1e-12  # radius up to 2


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_are_deterministic_and_seed_dependent(name):
    a = data.make(name, RNG(5), 60)
    b = data.make(name, RNG(5), 60)
    c = data.make(name, RNG(6), 60)
    assert a == b
    assert a != c
    for split in a:
        for x, label in split:
            assert isinstance(x, list) and len(x) == 2 and all(type(v) is float for v in x)
            assert type(label) is int


# ---------------------------------------------------------------------- splits


def test_split_is_80_10_10_in_order_with_the_seeds_cuts():
    tr, va, te = data.split(list(range(15)))
    # int(0.8*15) = 12, int(0.9*15) = 13
    assert (tr, va, te) == (list(range(12)), [12], [13, 14])
    tr, va, te = data.split(list(range(100)))
    assert (tr, va, te) == (list(range(80)), list(range(80, 90)), list(range(90, 100)))


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [10, 15, 99, 100, 101])
def test_every_generator_splits_80_10_10(name, n):
    splits = data.make(name, RNG(42), n)
    assert tuple(len(s) for s in splits) == cuts(n)


def test_split_order_is_draw_order():
    # n = 15: the seed's gen_data(15), cut at 12 and 13
    ref = seed_namespace(42)
    tr, va, te = data.simple(RNG(42), 15)
    rtr, rva, rte = ref.gen_data(15)
    assert (len(tr), len(va), len(te)) == (12, 1, 2)
    assert tr + va + te == rtr + rva + rte


# ---------------------------------------------------------------------- argument errors


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [9, 1, 0, -5])
def test_too_few_points_raise_value_error(name, n):
    with pytest.raises(ValueError, match=rf"n.*{n}"):
        data.make(name, RNG(1), n)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [100.0, "100", True, None])
def test_non_int_n_raises_type_error(name, n):
    with pytest.raises(TypeError, match="n"):
        data.make(name, RNG(1), n)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("rng", [42, None, "RNG(42)"])
def test_rng_must_be_an_rng(name, rng):
    with pytest.raises(TypeError, match="rng"):
        getattr(data, name)(rng, 100)


def test_yinyang_with_a_degenerate_rng_raises_instead_of_hanging():
    # RNG(0) draws only zeros: the rejection sampler can never accept a point
    with pytest.raises(ValueError, match=r"yinyang.*class 0.*nonzero seed"):
        data.yinyang(RNG(0), 100)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="'blobs'"):
        data.make("blobs", RNG(1), 100)


# ---------------------------------------------------------------------- CSV


def write(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_load_csv_2d(tmp_path):
    rows = [(i * 0.5 - 3, (-1) ** i * i / 7, i % 3) for i in range(20)]
    text = "x,y,label\n" + "".join(f"{x!r},{y!r},{c}\n" for x, y, c in rows)
    tr, va, te = data.load_csv(write(tmp_path, text))
    pts = [([x, y], c) for x, y, c in rows]
    assert (tr, va, te) == (pts[:16], pts[16:18], pts[18:])
    assert all(type(c) is int for _, c in tr + va + te)


def test_load_csv_4d_with_spaces_and_blank_lines(tmp_path):
    lines = ["x1, x2, x3, x4, label"]
    pts = []
    for i in range(12):
        coords = [float(i), -1.5 * i, 1e-3 * i, 2.5e10]
        pts.append((coords, i % 2))
        lines.append(" " + ", ".join(str(c) for c in coords) + f", {i % 2}")
        if i == 5:
            lines.append("")
    tr, va, te = data.load_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert tr + va + te == pts
    assert (len(tr), len(va), len(te)) == cuts(12)


def good_rows(n=12, cols=2):
    return ["x,y,label" if cols == 2 else ",".join(f"x{j}" for j in range(cols)) + ",label"] + [
        ",".join(str(0.5 * (i + j)) for j in range(cols)) + f",{i % 3}" for i in range(n)
    ]


@pytest.mark.parametrize(
    "bad_row, what",
    [
        ("1.0,2.0", "column"),  # too few columns
        ("1.0,2.0,3.0,1", "column"),  # too many columns
        ("1.0,abc,1", "abc"),  # not a number
        ("nan,1.0,1", "nan"),
        ("1.0,inf,1", "inf"),
        ("1.0,-inf,1", "inf"),
        ("1.0,2.0,-1", "-1"),  # negative label
        ("1.0,2.0,1.5", "1.5"),  # fractional label
        ("1.0,2.0,one", "one"),
        ("1.0,2.0,", "label"),
    ],
)
def test_load_csv_errors_name_the_line(tmp_path, bad_row, what):
    lines = good_rows()
    lines.insert(6, bad_row)  # the header is line 1: the bad row is line 7
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ValueError) as info:
        data.load_csv(path)
    msg = str(info.value)
    assert "line 7" in msg, msg
    assert what in msg, msg
    assert "points.csv" in msg, msg


def test_load_csv_empty_file(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(ValueError, match="empty") as info:
        data.load_csv(path)
    assert "points.csv" in str(info.value)


def test_load_csv_header_only(tmp_path):
    path = write(tmp_path, "x,y,label\n")
    with pytest.raises(ValueError, match="points.csv"):
        data.load_csv(path)


def test_load_csv_too_few_rows(tmp_path):
    path = write(tmp_path, "\n".join(good_rows(n=9)) + "\n")
    with pytest.raises(ValueError, match="9"):
        data.load_csv(path)


def test_load_csv_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        data.load_csv(path)


def test_load_csv_without_header_is_refused_not_one_row_short(tmp_path):
    # the first data row would otherwise be taken as the header and silently dropped
    path = write(tmp_path, "".join(f"{i * 0.1},{-i * 0.2},{i % 3}\n" for i in range(20)))
    with pytest.raises(ValueError, match=r"points.csv line 1: expected a header"):
        data.load_csv(path)


def test_load_csv_binary_file_names_the_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes(b"x,y,label\n\xff\xfe\x00\x01,2,0\n")
    with pytest.raises(ValueError, match=r"points.csv: not a UTF-8 text file"):
        data.load_csv(str(path))


# ---------------------------------------------------------------------- CSV: classes, limits, spellings


def labelled(labels, name="points.csv"):
    """CSV text whose row i has distinct coordinates and the i-th label."""
    return "x,y,label\n" + "".join(f"{i * 0.25},{-i * 0.5},{c}\n" for i, c in enumerate(labels))


def test_load_csv_reindexes_labels_in_sorted_order(tmp_path):
    big = 10**30
    labels = [7, 3, big, 1_000_000] * 5
    tr, va, te = data.load_csv(write(tmp_path, labelled(labels)))
    order = sorted(set(labels))
    assert [c for _, c in tr + va + te] == [order.index(c) for c in labels]
    assert data.num_classes(tr, va, te) == 4  # not 10**30 + 1


def test_a_million_valued_label_does_not_build_a_million_output_model(tmp_path):
    from micrograd.train import TrainConfig, Trainer

    path = write(tmp_path, labelled([0, 1_000_000] * 10))
    tr = Trainer(TrainConfig(data=path, steps=1))
    assert len(tr.model.layers[-1].neurons) == 2


def test_load_csv_caps_the_number_of_classes(tmp_path):
    path = write(tmp_path, labelled(list(range(data.MAX_CLASSES + 5))))
    with pytest.raises(ValueError, match=rf"line {data.MAX_CLASSES + 2}: .*over the limit of {data.MAX_CLASSES} classes"):
        data.load_csv(path)
    data.load_csv(write(tmp_path, labelled(list(range(data.MAX_CLASSES)) * 2), "ok.csv"))  # at the cap: fine


@pytest.mark.parametrize(
    "labels, message",
    [
        ([4] * 20, "every point has label 4; a classifier needs at least two classes"),
        ([0] * 16 + [1] * 4, r"training split \(the first 80% of the points\) has only label 0; shuffle"),
    ],
)
def test_load_csv_refuses_one_class(tmp_path, labels, message):
    with pytest.raises(ValueError, match=message):
        data.load_csv(write(tmp_path, labelled(labels)))


def test_load_csv_refuses_identical_points(tmp_path):
    path = write(tmp_path, "x,y,label\n" + "1.5,2,0\n1.5,2.0,1\n" * 10)
    with pytest.raises(ValueError, match=r"all 20 points are identical \(\[1.5, 2.0\]\)"):
        data.load_csv(path)


@pytest.mark.parametrize("cell", ["1_000", "١٢", "１２", "inf", "-Infinity", "nan", "NaN", "0x10", "1e400"])
def test_load_csv_refuses_spellings_a_csv_user_does_not_mean(tmp_path, cell):
    lines = good_rows()
    lines[4] = f"0.5,{cell},1"
    with pytest.raises(ValueError, match=r"points.csv line 5: column 2 \(y\) is not") as info:
        data.load_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert repr(cell) in str(info.value)


@pytest.mark.parametrize("cell", ["1_0", "١", "+1", "1.0", " 1e0", "0x1", ""])
def test_load_csv_labels_are_plain_digits(tmp_path, cell):
    lines = good_rows()
    lines[4] = f"0.5,0.25,{cell}"
    with pytest.raises(ValueError, match=r"points.csv line 5: label must be a non-negative integer"):
        data.load_csv(write(tmp_path, "\n".join(lines) + "\n"))


@given(st.floats(allow_nan=False, allow_infinity=False))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_load_csv_reads_back_every_finite_float(tmp_path, v):
    lines = good_rows()
    lines[3] = f"{v!r},{v:.17e},1"  # repr and exponent spellings of any finite float
    tr, _, _ = data.load_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert tr[2][0] == [v, v]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=',"\r\n'), max_size=12))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_load_csv_any_cell_is_a_number_or_one_clear_error(tmp_path, cell):
    lines = good_rows()
    lines[4] = f"{cell},0.5,1"
    path = write(tmp_path, "\n".join(lines) + "\n")
    try:
        tr, _, _ = data.load_csv(path)
    except ValueError as e:
        assert "points.csv" in str(e) and "\n" not in str(e)
        return
    v = tr[3][0][0]  # accepted: plain ASCII decimal notation, finite
    assert math.isfinite(v) and cell.strip().isascii() and "_" not in cell and v == float(cell)


def test_load_csv_field_over_the_csv_limit_is_one_error_line(tmp_path):
    import csv

    lines = good_rows()
    lines[5] = '0.5,"' + "9" * (csv.field_size_limit() + 10) + '",1'
    with pytest.raises(ValueError, match=r"points.csv line 6: field larger than field limit .*csv field limit"):
        data.load_csv(write(tmp_path, "\n".join(lines) + "\n"))


def test_load_csv_limits_bytes_rows_and_columns(tmp_path, monkeypatch):
    path = write(tmp_path, "\n".join(good_rows(n=30)) + "\n")
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 100)
    with pytest.raises(ValueError, match=r"points.csv: [\d,]+ bytes, over the limit of 100 bytes"):
        data.load_csv(path)
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 10**9)
    monkeypatch.setattr(data, "MAX_CSV_ROWS", 20)
    with pytest.raises(ValueError, match=r"points.csv: 30 lines after the header, over the limit of 20 data rows"):
        data.load_csv(path)
    monkeypatch.setattr(data, "MAX_CSV_ROWS", 10**6)
    monkeypatch.setattr(data, "MAX_CSV_COLUMNS", 2)
    with pytest.raises(ValueError, match=r"points.csv line 1: 3 columns, over the limit of 2"):
        data.load_csv(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_load_csv_refuses_a_fifo_at_once(tmp_path):
    fifo = tmp_path / "points.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="points.csv: not a regular file"):
        data.load_csv(str(fifo))  # reading it would block forever


# ---------------------------------------------------------------------- degenerate draws


@pytest.mark.parametrize("name", [g for g in GENERATORS if g != "yinyang"])  # yinyang: its own message, above
def test_a_degenerate_rng_is_refused_not_reported_as_100_percent(name):
    with pytest.raises(ValueError, match=r"generated points are \d+ distinct ones? repeated.*nonzero seed"):
        data.make(name, RNG(0), 100)
    data.make(name, RNG(1), 100)  # any other seed: fine
