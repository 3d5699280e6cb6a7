"""The demo server on a free loopback port, in a background thread (shared by the web tests)."""

import http.client
import json
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


def request(httpd, method, path, body=None, headers=None, raw=None):
    """(status, parsed JSON or raw bytes, response headers)."""
    host, port = httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    hdrs = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    ctype = resp.getheader("Content-Type", "")
    if ctype.startswith("application/json") and payload:
        payload = json.loads(payload)
    return resp.status, payload, resp
