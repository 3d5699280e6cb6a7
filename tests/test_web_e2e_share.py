"""End-to-end tests of the page's share, checkpoint, side-by-side, data and model controls, in headless
Chromium (as tests/test_web_e2e.py: Playwright with the system browser, no skip without one).

A shared URL is opened in a NEW browser context (no sessionStorage, no cookies: what a reader who
got the link has) and must show the same numbers at the same step; a downloaded checkpoint must
resume on the CLI; the side-by-side runs start from identical weights and step together.
"""

import json
import os
import subprocess
import sys

import pytest
from browser import Tab as browser_tab
from browser import chromium
from playwright.sync_api import expect
from webserver import request, serving

from micrograd.web import url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def server():
    with serving(max_sessions=64) as httpd:
        yield httpd


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


class Tab(browser_tab):
    """A tab at 1280x900 (the controls under the curves in view), console errors recorded too."""

    def __init__(self, browser, server, path=""):
        super().__init__(browser, server, path, size=(1280, 900), console=True)

    def numbers(self):
        return self.page.evaluate(
            "() => ({step: S.snap.step, train: S.history.map(r => r.train_loss), val: S.history.map(r => r.val_loss),"
            " params: S.snap.optimizer.rows.map(r => r[1]), acc: S.snap.accuracy, header: document.getElementById('train-loss')"
            ".textContent, points: S.snap.points})"
        )


@pytest.fixture
def tab(browser, server):
    t = Tab(browser, server)
    yield t
    t.close()


def test_shared_url_in_a_new_context_reproduces_the_numbers(browser, server, tab):
    page = tab.page
    tab.step(2)
    box = page.locator("#boundary").bounding_box()
    page.check("input[name=click-mode][value=add]")
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    expect(page.locator("#boundary-info")).to_contain_text("81/10/10")
    page.fill("#config input[name=lr]", "0.03")
    page.click("#live-lr-set")
    expect(page.locator("#status")).to_contain_text("learning rate 0.03")
    tab.step(3)
    page.click("#share")
    page.wait_for_function("() => document.body.dataset.shareLink")
    link = page.evaluate("() => document.body.dataset.shareLink")
    assert "#run=" in link and page.url == link
    mine = tab.numbers()
    other = Tab(browser, server, link[len(url(server)) :])
    try:
        expect(other.page.locator("#status")).to_contain_text("shared run replayed: step 5")
        theirs = other.numbers()
        assert theirs == mine  # every loss, parameter and point, bit for bit, at the same step
        assert other.page.input_value("#config input[name=lr]") == "0.03"
        assert other.errors == []
    finally:
        other.close()
    # a reload of the tab that made the link re-attaches to its run (further on), it does not replay the link
    tab.step(1)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#status")).to_contain_text("back to this tab's run at step 6")
    assert tab.errors == []


def test_a_broken_shared_link_says_why_and_starts_fresh(browser, server):
    t = Tab(browser, server, "#run=eyJ2Ijo5OX0")
    try:
        expect(t.page.locator("#status")).to_contain_text("this shared link could not be opened")
        assert t.page.inner_text("#step-count") == "0"
    finally:
        t.close()


def test_download_checkpoint_resumes_on_the_cli_and_uploads_back(tab, tmp_path):
    page = tab.page
    tab.step(3)
    with page.expect_download() as dl:
        page.click("#ckpt-download")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name == "micrograd-step3.ckpt.json"
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")}
    out = subprocess.run(
        [sys.executable, "-m", "micrograd.cli", "train", "--resume", str(path), "--steps", "5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    tab.step(1)
    page_loss = page.evaluate("() => S.history[S.history.length - 1].train_loss")
    assert out.stdout.splitlines()[1] == f"step 3, train loss {page_loss!r}"  # the page's step 3 is the CLI's
    # upload it back: the run returns to step 3
    page.set_input_files("#ckpt-file", str(path))
    expect(page.locator("#step-count")).to_have_text("3")
    expect(page.locator("#status")).to_contain_text("loaded: step 3")
    # a tampered file is refused with the CLI's message, and the run stays
    doc = json.loads(path.read_text())
    doc["payload"]["step"] = 2
    bad = tmp_path / "bad.ckpt.json"
    bad.write_text(json.dumps(doc))
    page.set_input_files("#ckpt-file", str(bad))
    expect(page.locator("#status")).to_contain_text("checksum mismatch")
    expect(page.locator("#status")).to_have_class("error")
    assert page.inner_text("#step-count") == "3"
    assert tab.errors == [] or all("400" in e for e in tab.errors)  # the browser logs the refused request


def test_side_by_side_starts_identical_and_steps_together(tab, server):
    page = tab.page
    page.click("#compare-open")
    expect(page.locator("#compare-panel")).to_be_visible()
    page.click("#cmp-add")
    rows = page.locator(".cmp-setup-row")
    expect(rows).to_have_count(3)
    rows.nth(2).locator(".cmp-opt").select_option("adamw")
    rows.nth(2).locator(".cmp-lr").fill("0.01")
    page.click("#cmp-start")
    expect(page.locator(".cmp-card canvas.cmp-boundary")).to_have_count(3)
    cid = page.evaluate("() => MG_COMPARE.state.id")
    _, view, _ = request(server, "GET", f"/api/compare/{cid}")
    weights = [[r[1] for r in run["optimizer"]["rows"]] for run in view["runs"]]
    assert weights[0] == weights[1] == weights[2]
    page.click("#cmp-step")
    page.wait_for_function("() => document.getElementById('compare-panel').dataset.step === '1'")
    page.click("#cmp-play")
    page.wait_for_function("() => +document.getElementById('compare-panel').dataset.step >= 4")
    page.click("#cmp-play")
    page.wait_for_timeout(400)
    steps = page.eval_on_selector_all(".cmp-card[data-step]", "cs => cs.map(c => c.dataset.step)")
    assert len(set(steps)) == 1 and int(steps[0]) >= 4  # together
    first = page.evaluate("() => MG_COMPARE.state.histories.map(h => h[0].train_loss)")
    assert first[0] == first[1] == first[2]  # identical start
    page.click("#cmp-close")
    expect(page.locator("#compare-panel")).to_be_hidden()
    page.wait_for_function("() => MG_COMPARE.state.id === null")  # the DELETE has answered
    assert request(server, "GET", f"/api/compare/{cid}")[0] == 404
    assert tab.errors == []


def test_plus_minus_buttons_and_their_limits(tab):
    page = tab.page
    expect(page.locator("#model-limits")).to_have_text("≤3 × ≤32")
    assert page.get_attribute("#model-limits", "title") == "limits: 1–3 layers, 1–32 neurons each"
    page.click("#layer-plus")
    expect(page.locator("#neuron-plus-1")).to_be_visible()
    assert page.evaluate("() => S.snap.config.hidden") == [16, 16]
    page.click("#neuron-minus-1")
    page.wait_for_function("() => S.snap.config.hidden[1] === 15")
    page.click("#layer-plus")
    page.wait_for_function("() => S.snap.config.hidden.length === 3")
    tab.step(1)
    page.click("#layer-plus")  # a 4th layer: over the limit
    expect(page.locator("#status")).to_contain_text("refused: hidden must be a list of 1 to 3")
    expect(page.locator("#status")).to_have_class("error")
    assert page.evaluate("() => S.snap.config.hidden") == [16, 15, 15]
    assert page.inner_text("#step-count") == "1"  # never a silent reset
    assert page.input_value("#config input[name=hidden]") == "16 15 15"


def test_csv_drop_data_controls_and_refusals(tab):
    page = tab.page

    def drop(name, text):
        page.evaluate(
            """([name, text]) => {
                const dt = new DataTransfer();
                dt.items.add(new File([text], name, {type: "text/csv"}));
                document.getElementById("boundary").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
            }""",
            [name, text],
        )

    good = "x,y,label\n" + "".join(f"{(i % 7) / 3 - 1},{(i * 5 % 11) / 5 - 1},{i % 2}\n" for i in range(50))
    drop("mine.csv", good)
    expect(page.locator("#status")).to_contain_text("CSV mine.csv: 50 points")
    expect(page.locator("#boundary-info")).to_contain_text("40/5/5")
    drop("bad.csv", "x,y,label\n1,2,0\n1,oops,1\n")
    expect(page.locator("#status")).to_contain_text("bad.csv line 3: column 2 (y) is not a number")
    expect(page.locator("#boundary-info")).to_contain_text("40/5/5")  # the run stays
    # show/hide test points and discretize redraw the plot (different pixels), regenerate draws new data
    shot = lambda: page.evaluate("() => document.getElementById('boundary').toDataURL()")  # noqa: E731
    a = shot()
    page.uncheck("#show-test")
    b = shot()
    page.check("#discretize")
    c = shot()
    assert len({a, b, c}) == 3
    seed = page.input_value("#config input[name=seed]")
    page.click("#regen")
    expect(page.locator("#status")).to_contain_text("reset")
    assert page.input_value("#config input[name=seed]") != seed
