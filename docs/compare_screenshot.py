"""Make the side-by-side picture in docs/: three optimizers from the same data and the same initial weights.

    .venv/bin/python docs/compare_screenshot.py                  # writes docs/demo_compare.png
    .venv/bin/python docs/compare_screenshot.py --out /tmp/c.png --steps 40

Starts the demo server on a free loopback port, opens the page in headless Chromium (Debian's
`chromium`, driven by Playwright; no browser download), opens "Compare", sets the runs to SGD
(lr 0.2), Adam and AdamW (lr 0.01) on the moons dataset, starts them, steps them together to
--steps, and takes a screenshot of the side-by-side panel (boundaries and loss curves).
"""

import argparse
import os
import shutil
import sys
import threading

from playwright.sync_api import sync_playwright

from micrograd.web import make_server, url

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
RUNS = [("sgd", "0.2"), ("adam", "0.1"), ("adamw", "0.01")]


def shoot(address, steps, out):
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser_path:
        sys.exit("compare_screenshot: needs chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120000)
        page.goto(address)
        page.wait_for_selector("body[data-ready='1']")
        page.select_option("#config select[name=dataset]", "moons")
        page.click("#compare-open")
        page.click("#cmp-add")
        rows = page.locator(".cmp-setup-row")
        for i, (opt, lr) in enumerate(RUNS):
            rows.nth(i).locator(".cmp-opt").select_option(opt)
            rows.nth(i).locator(".cmp-lr").fill(lr)
        page.click("#cmp-start")
        page.wait_for_selector(".cmp-card canvas.cmp-boundary >> nth=2")
        while int(page.get_attribute("#compare-panel", "data-step")) < steps:
            n = int(page.get_attribute("#compare-panel", "data-step"))
            page.click("#cmp-step")
            page.wait_for_function("n => +document.getElementById('compare-panel').dataset.step > n", arg=n)
        tmp = out + ".tmp.png"
        page.locator("#compare-panel").screenshot(path=tmp)
        os.replace(tmp, out)  # whole, or not at all
        browser.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_compare.png"))
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args(argv)
    httpd = make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        shoot(url(httpd), args.steps, args.out)
    finally:
        httpd.shutdown()
        httpd.server_close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
