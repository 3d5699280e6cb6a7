"""End-to-end tests of the demo page in headless Chromium (Debian's `chromium`, driven by
Playwright for Python with the system browser: `playwright install` is never needed).

scripts/test.sh installs chromium with apt when it is missing; there is no skip here:
without a browser these tests fail, loudly. The server runs in a thread on a free port.
Page scripts are evaluated as functions (`() => ...`): the page's Content-Security-Policy
forbids eval, and Playwright's function calls do not need it.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect, sync_playwright
from webserver import serving

from micrograd.web import url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is needed for the e2e tests: `apt-get install chromium` (scripts/test.sh does it)"
    return path


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server():
    with serving() as httpd:
        yield httpd


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A fresh tab on the demo, with the console errors and every requested URL recorded."""

    def __init__(self, browser, server):
        self.base = url(server)
        self.context = browser.new_context(viewport={"width": 1600, "height": 1200})
        self.errors, self.requests = [], []
        self.page = self.open()

    def open(self):
        page = self.context.new_page()
        page.set_default_timeout(20000)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.goto(self.base)
        page.wait_for_selector("body[data-ready='1']")
        return page

    def num(self, selector):
        return float(self.page.inner_text(selector).strip().rstrip("%"))

    def attr(self, selector, name):
        return self.page.get_attribute(selector, name)

    def wait(self, js, arg=None):
        self.page.wait_for_function(js, arg=arg)


@pytest.fixture
def demo(browser, server):
    d = Page(browser, server)
    yield d
    d.context.close()


STEP = "() => +document.getElementById('step-count').textContent"
LOSS_POINTS = "() => +document.getElementById('loss-chart').dataset.points"


# ---------------------------------------------------------------------- tests


def test_load_play_pause_and_step(demo):
    page = demo.page
    assert demo.num("#step-count") == 0
    assert demo.attr("#loss-chart", "data-points") == "0"
    page.click("#play")
    expect(page.locator("#play")).to_contain_text("Pause")
    demo.wait(
        "() => +document.getElementById('step-count').textContent >= 5"
        " && +document.getElementById('loss-chart').dataset.points >= 5"
    )
    page.click("#play")  # pause
    expect(page.locator("#play")).to_contain_text("Play")
    paused_at = demo.num("#step-count")
    for _ in range(20):  # the request in flight when pausing lands, then nothing moves
        page.wait_for_timeout(300)
        if demo.num("#step-count") == paused_at:
            break
        paused_at = demo.num("#step-count")
    points = page.evaluate(LOSS_POINTS)
    page.wait_for_timeout(600)
    assert demo.num("#step-count") == paused_at  # paused means paused
    page.click("#step")
    demo.wait(f"() => +document.getElementById('step-count').textContent === {paused_at + 1}")
    assert page.evaluate(LOSS_POINTS) > points  # the curve advanced too
    expect(page.locator("#ls-step")).to_have_text(str(int(paused_at)))  # the record of step index paused_at
    assert re.match(r"\d+\.\d{6}$", page.inner_text("#ls-train"))
    assert demo.errors == []


def test_pick_a_datapoint_and_see_the_graph_update(demo):
    page = demo.page
    demo.wait("() => +document.getElementById('graph').dataset.nodes > 0")  # the first train point, traced
    page.fill("#pick-x", "1.25")
    page.fill("#pick-y", "-0.75")
    page.select_option("#pick-label", "1")
    page.click("#pick-form button[type=submit]")
    expect(page.locator("#graph-info")).to_contain_text("point (1.25, -0.75), label 1")
    nodes = int(demo.attr("#graph", "data-nodes"))
    assert nodes > 50  # MLP(2, [16, 3]): inputs, parameters, 19 neurons, the loss
    assert page.locator("#graph .node.kind-loss").count() == 1
    assert page.locator("#graph .node.kind-input").count() == 2
    loss_text = page.locator("#graph .node.kind-loss text.data").text_content()
    assert loss_text.startswith("data ")
    # one training step later the same point's graph shows new numbers
    page.click("#step")
    expect(page.locator("#graph .node.kind-loss text.data")).not_to_have_text(loss_text)
    assert page.locator("#graph .node.kind-loss text.grad").text_content() == "grad 1.0000"
    # without parameter nodes the graph is smaller, same loss
    page.uncheck("#show-params")
    demo.wait(f"() => +document.getElementById('graph').dataset.nodes < {nodes}")
    # a click on the boundary plot picks another point
    box = page.locator("#boundary").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)
    expect(page.locator("#graph-info")).not_to_contain_text("(1.25, -0.75)")
    # pan and zoom change the view
    transform = lambda: page.get_attribute("#graph g.viewport", "transform")  # noqa: E731
    before = transform()
    g = page.locator("#graph").bounding_box()
    page.mouse.move(g["x"] + g["width"] / 2, g["y"] + g["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(page.locator("#graph g.viewport")).not_to_have_attribute("transform", before)
    zoomed = transform()
    page.mouse.down()
    page.mouse.move(g["x"] + g["width"] / 2 + 80, g["y"] + g["height"] / 2 + 40)
    page.mouse.up()
    assert transform() != zoomed
    page.click("#graph-fit")
    # fused nodes (neurons, the loss) drawn as their primitive ops
    fused_nodes = int(demo.attr("#graph", "data-nodes"))
    page.check("#expand")
    expect(page.locator("#graph-info")).to_contain_text("fused nodes expanded")
    assert int(demo.attr("#graph", "data-nodes")) > fused_nodes
    assert page.locator("#graph .node.kind-loss").count() == 1
    assert demo.errors == []


def test_change_hyperparameters_and_reset(demo):
    page = demo.page
    page.click("#step")
    demo.wait("() => +document.getElementById('step-count').textContent >= 1")
    page.fill("#config input[name=hidden]", "4")
    page.select_option("#config select[name=optimizer]", "sgd")
    page.fill("#config input[name=lr]", "0.2")
    expect(page.locator("#config-note")).to_contain_text("hidden")
    page.click("#reset")
    expect(page.locator("#opt-info")).to_contain_text("SGD")
    expect(page.locator("#opt-info")).to_contain_text("27 parameters")  # 4*(2+1) + 3*(4+1)
    assert demo.num("#step-count") == 0
    expect(page.locator("#config-note")).to_have_text("")
    assert page.locator("#opt-table tbody tr").count() == 27
    # the new run trains
    page.click("#step")
    demo.wait("() => +document.getElementById('step-count').textContent === 1")
    # a bad value is refused with the server's message, and nothing changes
    page.fill("#config input[name=n]", "5")
    page.click("#reset")
    expect(page.locator("#status")).to_contain_text("n must be in [10, 1000], got 5")
    assert demo.num("#step-count") == 1
    demo.errors.clear()  # the refused request is logged by Chromium as a failed load


def test_click_adds_and_shift_click_removes_points(demo):
    page = demo.page
    expect(page.locator("#boundary-info")).to_contain_text("80/10/10")
    page.check("input[name=click-mode][value=add]")
    page.select_option("#add-class", "2")
    box = page.locator("#boundary").bounding_box()
    x, y = box["x"] + box["width"] * 0.93, box["y"] + box["height"] * 0.07  # a corner, far from the data
    page.mouse.click(x, y)
    expect(page.locator("#boundary-info")).to_contain_text("81/10/10")
    page.keyboard.down("Shift")
    page.mouse.click(x, y)
    page.keyboard.up("Shift")
    expect(page.locator("#boundary-info")).to_contain_text("80/10/10")
    expect(page.locator("#status")).to_contain_text("removed a train point of class 2")


def test_zero_level_lines_toggle_redraws_the_boundary(demo):
    page = demo.page
    snap = "() => document.getElementById('boundary').toDataURL()"
    before = page.evaluate(snap)
    page.check("#show-lines")
    after = page.evaluate(snap)
    assert after != before
    page.uncheck("#show-lines")
    assert page.evaluate(snap) == before


def test_each_tab_has_its_own_session_and_a_reload_keeps_it(demo):
    page = demo.page
    page.click("#step")
    page.click("#step")
    demo.wait("() => +document.getElementById('step-count').textContent === 2")
    other = demo.open()  # a second tab of the same browser
    assert float(other.inner_text("#step-count")) == 0
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert demo.num("#step-count") == 2  # sessionStorage is per tab: the reload found its run


def test_an_expired_session_is_replaced_transparently(demo, server):
    page = demo.page
    sid = page.evaluate("() => sessionStorage.getItem('micrograd-session')")
    assert server.store.delete(sid)  # as if it had been idle too long
    page.click("#step")
    expect(page.locator("#status")).to_contain_text("expired")
    demo.wait("() => +document.getElementById('step-count').textContent === 1")
    assert page.evaluate("() => sessionStorage.getItem('micrograd-session')") != sid
    demo.errors.clear()  # Chromium logs the 404 that told the page


def test_everything_is_served_locally(demo):
    page = demo.page
    page.click("#step")
    demo.wait("() => +document.getElementById('step-count').textContent >= 1")
    assert demo.requests and all(u.startswith(demo.base) or u.startswith("data:") for u in demo.requests), demo.requests
    assert demo.errors == []


@pytest.mark.slow
def test_screenshot_script_writes_the_readme_picture(tmp_path):
    out = tmp_path / "demo.png"
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, "docs", "demo_screenshot.py"), "--out", str(out), "--steps", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert width == 1600 and 1000 <= height <= 2000
