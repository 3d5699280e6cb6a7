"""The demo server on a free loopback port, in a background thread (shared by the web tests)."""

import threading
from contextlib import contextmanager

from micrograd.web import make_server


@contextmanager
def serving(**kwargs):
    httpd = make_server("127.0.0.1", 0, **kwargs)
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(5)
