"""The demo page's training speed: steps per second at one step per frame, in headless Chromium.

    python benchmarks/bench_demo.py                     # the seed preset, 1280x800, 8 s of play
    python benchmarks/bench_demo.py --seconds 15 --size 1920x1080 --preset llm101n

Starts the demo server on a free loopback port (in this process, as `micrograd demo` does),
opens the page in headless Chromium (Debian's `chromium`, driven by Playwright; no browser
download), presses Play at 1 step/frame, lets it warm up for a second, then counts the steps
the page shows over --seconds and prints steps/s (and the frame time). The figure includes
everything a user waits for: the request, the training step, the JSON, and the drawing.
Exit status 1 if the page reports an error (a benchmark never hides a broken page).
"""

import argparse
import os
import shutil
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))  # the src/ beside this script, installed or not

from micrograd.web import make_server, url  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def measure(page, seconds, warmup=1.0):
    """Steps/s while playing at one step per frame: (steps/s, steps counted)."""
    page.click("#play")
    page.wait_for_timeout(int(warmup * 1000))
    s0, t0 = int(page.inner_text("#step-count")), time.perf_counter()
    page.wait_for_timeout(int(seconds * 1000))
    s1, t1 = int(page.inner_text("#step-count")), time.perf_counter()
    page.click("#play")
    return (s1 - s0) / (t1 - t0), s1 - s0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--preset", default="seed")
    ap.add_argument("--size", default="1280x800", help="the window, WIDTHxHEIGHT")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("bench_demo: Chromium not found; install it (apt-get install chromium)")
    w, h = (int(v) for v in args.size.lower().split("x"))
    httpd = make_server("127.0.0.1", 0, preset=args.preset)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    errors = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": w, "height": h})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url(httpd))
            page.wait_for_selector("body[data-ready='1']")
            rate, steps = measure(page, args.seconds)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    print(
        f"demo, preset {args.preset}, {w}x{h}, 1 step/frame: {rate:.1f} steps/s ({steps} steps in {args.seconds:g} s; "
        f"{1000 / rate if rate else float('inf'):.1f} ms per step)"
    )
    if errors:
        print("page errors:", *errors, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
