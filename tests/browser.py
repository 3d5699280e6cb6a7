"""Headless Chromium for the e2e tests: Debian's `chromium` driven by Playwright (never `playwright
install`), and a tab on the demo. scripts/test.sh installs chromium with apt when it is missing;
there is no skip: without a browser these tests fail, loudly."""

import shutil
from contextlib import contextmanager

from playwright.sync_api import expect, sync_playwright

from micrograd.web import url

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


@contextmanager
def chromium():
    """A headless system Chromium, closed after."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Tab:
    """A fresh browser context on the demo (at `path`, e.g. a share link's "#run=..."), its page ready;
    page errors (and with `console=True` the console's errors) are recorded in `errors`."""

    def __init__(self, browser, server, path="", size=(1280, 800), console=False):
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
        self.errors = []
        self.page = self.context.new_page()
        self.page.set_default_timeout(30000)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if console:
            self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.goto(url(server) + path)
        self.page.wait_for_selector("body[data-ready='1']")

    def step(self, n):
        """Press Step `n` times, each time waiting for the counter to move."""
        for _ in range(n):
            before = self.page.inner_text("#step-count")
            self.page.click("#step")
            expect(self.page.locator("#step-count")).not_to_have_text(before)

    def close(self):
        self.context.close()
