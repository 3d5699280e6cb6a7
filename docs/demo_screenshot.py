"""Make the demo's pictures in docs/: the page after 50 training steps, at three window sizes,
its network view, and the Chinese page.

    .venv/bin/python docs/demo_screenshot.py                    # writes the five into docs/
    .venv/bin/python docs/demo_screenshot.py --out-dir /tmp/x --steps 20

    demo.png            1600x1200 window, the README's picture
    demo_1280x800.png   a common laptop's window
    demo_1920x1080.png  a desktop's window
    demo_network.png    the network view (1600 wide), a hidden neuron hovered: its map in the boundary plot
    demo_zh.png         the page in Simplified Chinese, 1280x800 (needs a CJK font, e.g. fonts-wqy-microhei)

Each is the whole page (full-page screenshot) at that window's width; the window's height
matters too (the graph's box is as tall as the window allows). Starts the demo server on a
free loopback port, opens the page in headless Chromium (Debian's `chromium`, driven by
Playwright; no browser download), presses Play until the step counter reaches --steps,
pauses, turns on the hidden neurons' zero-level lines, traces a point near the boundary,
presses Fit, and takes the screenshot.
"""

import argparse
import os
import shutil
import sys
import threading

from playwright.sync_api import sync_playwright

from micrograd.web import make_server, url

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"demo.png": (1600, 1200), "demo_1280x800.png": (1280, 800), "demo_1920x1080.png": (1920, 1080)}


def shoot(browser, address, size, steps, out, lang="en", part=None):
    """One picture: a fresh tab of `size`, trained to `steps`, written to `out` (whole, or not at all).
    `lang`: the page's language; `part`: "network" for the network view only (a neuron hovered)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    page.set_default_timeout(120000)
    page.goto(address)
    page.wait_for_selector("body[data-ready='1']")
    # one step per frame, paused exactly at `steps` (play, then single steps to the count)
    page.click("#play")
    # paused from inside the page (a click from here lands too late at 50+ steps/s); the steps
    # still in flight land after the pause, so it stops a few short and steps the rest
    page.wait_for_function(
        "n => +document.getElementById('step-count').textContent >= n - 8 && (document.getElementById('play').click(), true)",
        arg=steps,
    )
    page.wait_for_timeout(500)
    while int(page.inner_text("#step-count")) < steps:
        n = int(page.inner_text("#step-count"))
        page.click("#step")
        page.wait_for_function("n => +document.getElementById('step-count').textContent > n", arg=n)
    page.check("#show-lines")
    # trace a point near the boundary: its gradients are far from zero
    page.fill("#pick-x", "0.25")
    page.fill("#pick-y", "0.3")
    page.select_option("#pick-label", "2")
    page.click("#pick-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('graph-info').textContent.includes('(0.25, 0.30)')")
    page.click("#graph-fit")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(500)
    tmp = out + ".tmp.png"
    if part == "network":
        # the view and the boundary plot above it, a hidden neuron hovered: its map enlarged there
        page.hover("#network .net-node[data-layer='1'][data-index='3']")
        page.wait_for_timeout(300)
        scroll_y = page.evaluate("() => window.scrollY")  # boxes are in the window; the clip is in the page
        top, net = page.locator("#boundary-panel").bounding_box(), page.locator("#network-panel").bounding_box()
        y0, y1 = top["y"] + scroll_y - 8, net["y"] + net["height"] + scroll_y + 8
        clip = {"x": 0, "y": y0, "width": size[0], "height": y1 - y0}
        page.screenshot(path=tmp, clip=clip, full_page=True)
    else:
        page.screenshot(path=tmp, full_page=True)
    context.close()
    os.replace(tmp, out)  # never a half-written picture


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("demo_screenshot: Chromium not found; install it (apt-get install chromium)")
    os.makedirs(args.out_dir, exist_ok=True)
    httpd = make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            for name, size in SIZES.items():
                out = os.path.join(args.out_dir, name)
                shoot(browser, url(httpd), size, args.steps, out)
                print(f"wrote {out}")
            for name, size, lang, part in (
                ("demo_network.png", (1600, 1200), "en", "network"),
                ("demo_zh.png", (1280, 800), "zh", None),
            ):
                out = os.path.join(args.out_dir, name)
                shoot(browser, url(httpd), size, args.steps, out, lang=lang, part=part)
                print(f"wrote {out}")
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    main()
