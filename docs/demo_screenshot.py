"""Make docs/demo.png: the demo page after 50 training steps, as the README shows it.

    .venv/bin/python docs/demo_screenshot.py                 # writes docs/demo.png
    .venv/bin/python docs/demo_screenshot.py --out /tmp/x.png --steps 20

Starts the demo server on a free loopback port, opens the page in headless Chromium
(Debian's `chromium`, driven by Playwright; no browser download), presses Play until the
step counter reaches --steps, pauses, turns on the hidden neurons' zero-level lines, traces
a point near the boundary and takes a full-page screenshot (1600 px wide).
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo.png"))
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("demo_screenshot: Chromium not found; install it (apt-get install chromium)")
    httpd = make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.set_default_timeout(120000)
            page.goto(url(httpd))
            page.wait_for_selector("body[data-ready='1']")
            # one step per frame, paused exactly at --steps (play, then single steps to the count)
            page.click("#play")
            page.wait_for_function("n => +document.getElementById('step-count').textContent >= n - 5", arg=args.steps)
            page.click("#play")
            page.wait_for_timeout(300)
            while int(page.inner_text("#step-count")) < args.steps:
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
            # let the step message fade out: it would cover part of the picture
            page.wait_for_function("() => !document.getElementById('status').classList.contains('show')")
            page.wait_for_timeout(500)
            tmp = args.out + ".tmp.png"
            page.screenshot(path=tmp, full_page=True)
            browser.close()
        os.replace(tmp, args.out)  # never a half-written picture
    finally:
        httpd.shutdown()
        httpd.server_close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
