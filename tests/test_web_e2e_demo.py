"""End-to-end tests of the merged demo (issue 12) in headless Chromium: a feature-input run's boundary,
a regression run's heatmap, a CLI checkpoint (scalar engine) loaded and continued on the page, and the
page's checkpoint resumed on the CLI with the very lines the page shows next.

As tests/test_web_e2e.py: Playwright with the system chromium, no skip without one.
"""

import os
import subprocess
import sys

import pytest
from browser import Tab as browser_tab
from browser import chromium
from playwright.sync_api import expect
from webserver import serving

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def server():
    with serving(max_sessions=32) as httpd:
        yield httpd


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


class Tab(browser_tab):
    """A tab at 1280x800 that can reset the run with form fields and sample the boundary's colours."""

    def reset_with(self, **fields):
        """Set form fields (selects by value, text inputs by text) and press Reset; wait for the new run."""
        page = self.page
        for name, value in fields.items():
            el = page.locator(f"#config [name={name}]")
            if el.evaluate("e => e.tagName") == "SELECT":
                el.select_option(value)
            else:
                el.fill(value)
        page.click("#reset")
        page.wait_for_function(
            "() => S.snap && S.snap.step === 0 && !document.getElementById('reset').classList.contains('pending')"
        )

    def pixels(self):
        """The boundary canvas's colours, sampled on a 16 x 16 grid away from the points: [[r, g, b], ...]."""
        return self.page.evaluate(
            """() => {
              const c = document.getElementById("boundary"), ctx = c.getContext("2d"), out = [];
              for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) {
                const x = Math.floor((i + 0.5) * c.width / 16), y = Math.floor((j + 0.5) * c.height / 16);
                const d = ctx.getImageData(x, y, 1, 1).data;
                out.push([d[0], d[1], d[2]]);
              }
              return out;
            }"""
        )


@pytest.fixture
def tab(browser, server):
    t = Tab(browser, server)
    yield t
    t.close()


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")}
    return subprocess.run([sys.executable, "-m", "micrograd.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_features_run_draws_its_boundary_from_the_chosen_features(tab, server):
    page = tab.page
    plain = tab.pixels()
    for f in ("x2", "y2"):
        page.check(f"#config input[name='features:{f}']")
    expect(page.locator("#config-note")).to_contain_text("features")  # the form says Reset applies it
    tab.reset_with(dataset="circles")
    assert page.evaluate("() => S.snap.network.inputs") == ["x", "y", "x2", "y2"]
    assert page.evaluate("() => S.snap.config.features") == ["x", "y", "x2", "y2"]
    tab.step(3)
    assert page.get_attribute("#boundary", "data-kind") == "classes"
    assert tab.pixels() != plain
    # the page's grid is the server's: the model evaluated at each cell's features
    sid = page.evaluate("() => S.snap.session")
    s = server.store.get(sid)
    assert page.evaluate("() => S.snap.grid.probs") == s.grid()["probs"]
    # the network view has four input nodes, and the checkboxes stay as chosen
    expect(page.locator("#network .net-node[data-layer='0']")).to_have_count(4)
    assert page.is_checked("#config input[name='features:x2']") and not page.is_checked("#config input[name='features:xy']")
    assert tab.errors == []


def test_a_regression_run_is_a_heatmap_with_no_accuracy(tab):
    page = tab.page
    tab.reset_with(dataset="plane")
    expect(page.locator("#boundary")).to_have_attribute("data-kind", "regression")
    assert page.evaluate("() => S.snap.regression") is True
    tab.step(5)
    assert page.inner_text("#val-acc") == "–" and page.inner_text("#test-acc") == "–"
    assert page.inner_text("#train-loss") != "–"
    # the heatmap holds the prediction's colours: blue where it is positive, orange where negative, no class colours
    px = tab.pixels()
    blue = [p for p in px if p[2] > p[0] + 20]
    orange = [p for p in px if p[0] > p[2] + 20]
    assert blue and orange, px[:8]
    # the points carry targets, and the add menu offers targets on the run's scale
    targets = page.evaluate("() => S.snap.points.train.map(p => p[2])")
    assert any(t != round(t) for t in targets)
    options = page.eval_on_selector_all("#add-class option", "os => os.map(o => +o.value)")
    assert options == sorted(options) and options[0] < 0 < options[-1]
    assert tab.errors == []


def test_a_cli_checkpoint_of_the_scalar_engine_is_loaded_and_continued(tab, tmp_path):
    page = tab.page
    path = tmp_path / "cli.ckpt.json"
    saved = run_cli("train", "--hidden", "4", "--n", "40", "--steps", "5", "--save", str(path))
    assert saved.returncode == 0 and path.exists(), saved.stderr
    assert '"engine": "scalar"' in path.read_text()  # the CLI's default engine
    whole = run_cli("train", "--resume", str(path), "--steps", "9")  # the CLI's own continuation
    assert whole.returncode == 0, whole.stderr
    cli = {
        int(line.split(",")[0][5:]): float(line.rsplit(" ", 1)[1])
        for line in whole.stdout.splitlines()
        if ", train loss " in line
    }
    page.set_input_files("#ckpt-file", str(path))
    expect(page.locator("#step-count")).to_have_text("5")
    expect(page.locator("#status")).to_contain_text("loaded: step 5")
    assert page.input_value("#config input[name=hidden]") == "4"
    tab.step(4)
    hist = page.evaluate("() => S.history.filter(r => r.step >= 5).map(r => [r.step, r.train_loss])")
    assert [s for s, _ in hist] == [5, 6, 7, 8]
    for s, loss in hist:  # the tensor engine continues the scalar run: the same numbers to ~1e-12
        assert loss == pytest.approx(cli[s], rel=1e-9), (s, loss, cli[s])
    assert tab.errors == []


def test_the_pages_checkpoint_resumes_on_the_cli_with_the_lines_the_page_shows_next(tab, tmp_path):
    page = tab.page
    tab.reset_with(dataset="moons", hidden="6")
    tab.step(3)
    with page.expect_download() as dl:
        page.click("#ckpt-download")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    out = run_cli("train", "--resume", str(path), "--steps", "7")
    assert out.returncode == 0, out.stderr
    tab.step(4)  # the page's steps 3..6
    records = page.evaluate("() => S.history.filter(r => r.step >= 3)")
    lines = []
    for r in records:  # the CLI's seed style: "step i, val loss v", then "step i, train loss l" (repr: every bit)
        if r.get("val_loss") is not None:
            lines.append(f"step {r['step']}, val loss {r['val_loss']!r}")
        lines.append(f"step {r['step']}, train loss {r['train_loss']!r}")
    printed = [line for line in out.stdout.splitlines() if line.startswith("step ")]
    assert printed == lines and len(lines) == 8


def test_regularization_and_batch_size_change_live_and_the_buttons_follow_the_language(tab, server):
    page = tab.page
    tab.step(2)
    page.locator("#config [name=regularization]").select_option("l2")
    page.click("#live-regularization-set")
    expect(page.locator("#status")).to_contain_text("regularization l2 from step 2 on")
    page.fill("#config [name=batch_size]", "8")
    page.click("#live-batch_size-set")
    expect(page.locator("#status")).to_contain_text("batch size 8 from step 2 on")
    assert page.inner_text("#config-note") == ""  # the form matches the run: nothing waits for a reset
    page.fill("#config [name=reg_rate]", "-1")
    page.click("#live-reg_rate-set")
    expect(page.locator("#status")).to_contain_text("reg_rate")  # the server's refusal, shown on the page
    expect(page.locator("#status")).to_have_class("error")
    s = server.store.get(page.evaluate("() => S.snap.session"))
    assert (s.trainer.config.regularization, s.trainer.config.batch_size, s.trainer.step) == ("l2", 8, 2)
    tab.step(1)
    page.click("#lang")
    expect(page.locator("#live-batch_size-set")).to_have_text("实时")
    page.click("#lang")
    expect(page.locator("#live-batch_size-set")).to_have_text("live")


def test_a_regression_run_picks_its_points_targets_and_compares_side_by_side(tab):
    page = tab.page
    tab.reset_with(dataset="gauss")
    tab.step(2)
    x, y, target = page.evaluate("() => S.snap.points.train[0]")
    box = page.locator("#boundary").bounding_box()
    px = page.evaluate("([x, y]) => toPx(x, y, 1, 1)", [x, y])
    page.mouse.click(box["x"] + px[0] * box["width"], box["y"] + px[1] * box["height"])
    page.wait_for_function("(t) => S.snap.graph && S.snap.graph.point.label === t", arg=target)
    assert float(page.input_value("#pick-label")) == target  # the menu shows the traced point's target
    assert "squared error" in page.evaluate("() => S.snap.graph.nodes.find(n => n.kind === 'loss').label")
    page.click("#compare-open")
    page.click("#cmp-start")
    expect(page.locator(".cmp-card canvas.cmp-boundary")).to_have_count(2)
    page.click("#cmp-step")
    page.wait_for_function("() => document.getElementById('compare-panel').dataset.step === '1'")
    assert "val" not in page.inner_text(".cmp-stats >> nth=0")  # no accuracy for a regression run
    assert tab.errors == []
