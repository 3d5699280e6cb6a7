"""micrograd.web.server — the demo's HTTP server: the static page and a small JSON API.

    micrograd demo                                   # the CLI way (prints the URL)
    from micrograd.web import make_server
    httpd = make_server("127.0.0.1", 0)              # port 0: any free port
    print(url(httpd)); httpd.serve_forever()

The standard library's `ThreadingHTTPServer`: one thread per connection, no web stack
to install. Every asset the page needs is a file in `static/`, served from here (no CDN:
the page works offline, and its Content-Security-Policy forbids anything else).

API (JSON in, JSON out; errors are 4xx with {"error": message}):
    GET    /api/options                    choices, limits and defaults for the form
    POST   /api/sessions                   {config fields}      -> 201 snapshot (new session id)
    GET    /api/sessions/ID                                     -> snapshot (with history)
    DELETE /api/sessions/ID                                     -> 204
    POST   /api/sessions/ID/step           {"steps": k}         -> records + snapshot
    POST   /api/sessions/ID/reset          {config fields}      -> snapshot (with history)
    POST   /api/sessions/ID/pick           {"x", "y", "label", "expand"?} -> snapshot (graph of that point)
    POST   /api/sessions/ID/points         {"op": "add", x, y, label} | {"op": "remove", x, y}
    POST   /api/sessions/ID/weight         {"layer", "to", "from" (an input index or "bias"), "value"} -> snapshot
    ... and /api/share, /api/sessions/ID/{share,checkpoint,data,hyper}, /api/compare: web/share.py, web/compare.py
A step request may add "light": true: the answer then holds only what changes every step
(step, accuracy, lines, the network's weights and gradients); a playing page asks for a full
one every few frames (session.Session.snapshot).
Config fields: preset, then TrainConfig's demo settings and the data controls (dataset, n, noise,
split, features, hidden, activation, init, optimizer, lr, regularization, reg_rate, batch_size,
seed): /api/options lists them under "fields" (see web/forms.py); only datasets in the plane.

Robustness: bodies over 64 KiB, malformed JSON, wrong types, out-of-range values,
duplicate Host or Content-Length headers and unknown sessions get a 4xx with a message;
a client has REQUEST_TIMEOUT seconds to send its whole request (a trickle of one byte at a
time does not extend it); a busy session answers 503 rather than queueing forever; an
unexpected error is a 500 with a message, and the server goes on serving. Bound to
loopback, it also refuses requests whose Host is not a loopback name (a web page cannot
reach it through DNS rebinding), and every POST, even an empty one, must be
`application/json` (a cross-site form cannot send them).

Under load: at most `max_sessions` sessions (a new one evicts only an idle one, else a 503
saying the server is full: see session.SessionStore), and at most `workers` requests
compute at once (training, snapshots, traces); the others wait up to WORK_TIMEOUT seconds,
then get a 503 with Retry-After. Plain requests (the page, /api/options) never wait for a
worker, so they stay fast while every session trains. Memory is bounded by max_sessions
times the largest session (~6 MiB: n=1000, hidden [32, 32, 32], a full history) plus
`workers` steps' graphs in flight (~110 MiB each at that size): ~350 MiB with the defaults
(16 sessions, 2 workers). tests/test_web_load.py measures it.
"""

import concurrent.futures
import http.server
import ipaddress
import json
import os
import re
import socket
import sys
import time
import traceback

from . import forms, network, share
from . import session as sessions
from .forms import options

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_BODY = 64 * 1024
REQUEST_TIMEOUT = 10.0  # seconds a client may take to send its request
LOCK_TIMEOUT = 5.0  # seconds a request waits for its session before a 503
WORKERS = 2  # requests computing at once: the scalar engine holds the GIL, so more only slows every request
WORK_TIMEOUT = 10.0  # seconds a request waits for a worker before a 503
RETRY_AFTER = "2"  # seconds, sent with every 503
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_SESSION_PATH = re.compile(r"^/api/sessions/([0-9a-f]{32})(?:/(step|reset|pick|points|weight))?$")


class HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------- a deadline per request


class _DeadlineReader:
    """The request's input stream with one deadline for the whole request: every read waits at
    most until `handler.deadline`, so a client trickling one byte at a time cannot hold a thread
    longer than REQUEST_TIMEOUT (a per-read timeout restarts with every byte)."""

    def __init__(self, raw, handler):
        self._raw, self._handler = raw, handler

    def _arm(self):
        left = self._handler.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("the request took too long to arrive")
        self._handler.connection.settimeout(left)

    def readline(self, limit=-1):
        out = bytearray()
        while limit < 0 or len(out) < limit:
            self._arm()
            chunk = self._raw.peek(1)  # at most one recv, and only if the buffer is empty
            if not chunk:
                break
            end = chunk.find(b"\n")
            take = len(chunk) if end < 0 else end + 1
            if limit >= 0:
                take = min(take, limit - len(out))
            out += self._raw.read(take)  # from the buffer: no recv
            if out.endswith(b"\n"):
                break
        return bytes(out)

    def read(self, n=-1):
        if n is None or n < 0:
            raise ValueError("read() needs a size here: bodies are read by Content-Length")
        out = bytearray()
        while len(out) < n:
            self._arm()
            chunk = self._raw.read1(min(n - len(out), 65536))
            if not chunk:
                break
            out += chunk
        return bytes(out)

    def __getattr__(self, name):
        return getattr(self._raw, name)


# ---------------------------------------------------------------------- request handler


class DemoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the page's fetch loop reuses one connection
    disable_nagle_algorithm = True  # headers and body go out as separate writes: without this,
    # Nagle + the client's delayed ACK add ~40 ms to every keep-alive request
    timeout = REQUEST_TIMEOUT
    server_version = "micrograd-demo"

    # ------------------------------------------------------------------ plumbing
    def setup(self):
        super().setup()
        self.rfile = _DeadlineReader(self.rfile, self)

    def handle_one_request(self):
        self.deadline = time.monotonic() + self.timeout  # the whole request (line, headers, body) by then
        super().handle_one_request()

    def log_message(self, fmt, *args):  # quiet: a live demo would flood the terminal
        if getattr(self.server, "verbose", False):
            super().log_message(fmt, *args)

    def _send(self, status, body=b"", content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        for k, v in headers:
            self.send_header(k, v)
        if status == 503:
            self.send_header("Retry-After", RETRY_AFTER)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, obj):
        self._send(status, json.dumps(obj, separators=(",", ":"), allow_nan=False).encode())

    def _error(self, status, message):
        self._json(status, {"error": message})

    def send_error(self, code, message=None, explain=None):
        """The base class's errors (bad request line, unsupported method...) as JSON too."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # an unparsable request line: answer with a status line anyway
            self.request_version = "HTTP/1.0"
        try:
            self._error(code, message or self.responses.get(code, ("error",))[0])
        except OSError:
            pass

    def _body(self, limit=MAX_BODY, as_bytes=False):
        """The request's JSON object (an empty body is {}); every POST must say it sends JSON.
        `limit` and `as_bytes` (the bytes, not parsed) are for an uploaded checkpoint or CSV (web/share.py)."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":  # even an empty body: a cross-site
            raise HTTPError(415, f"Content-Type must be application/json, got {ctype!r}")  # form can't send it
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise HTTPError(411, "send a Content-Length (chunked bodies are not accepted)")
            return {}
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise HTTPError(400, f"Content-Length must be a non-negative integer, got {length!r}") from None
        if n > limit:
            self.close_connection = True  # this connection is done
            if n <= 2 * limit:  # a file a little over the limit: read it (for at most a second), so the client
                self._drain(n)  # gets the 413 rather than a reset while it is still sending
            raise HTTPError(413, f"request body too large: {n} bytes, at most {limit}")
        raw = self.rfile.read(n)
        self._consumed = True
        if len(raw) != n:
            self.close_connection = True
            raise HTTPError(400, f"request body ended after {len(raw)} of {n} bytes")
        if as_bytes or n == 0:
            return raw if as_bytes else {}
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise HTTPError(400, "request body is not UTF-8") from None
        except (ValueError, RecursionError) as e:
            raise HTTPError(400, f"malformed JSON: {e}") from None

    def _drain(self, n):
        """Read and drop `n` body bytes, giving up after a second (a huge claim is never read)."""
        self.deadline = min(self.deadline, time.monotonic() + 1.0)
        try:
            self._consumed = len(self.rfile.read(n)) == n
        except (OSError, ValueError):
            pass

    def _check_headers(self):
        """One Host and one Content-Length at most (two could be read differently by a proxy and by
        us: request smuggling), not both Content-Length and Transfer-Encoding; and a loopback Host
        when bound to loopback."""
        for name in ("Host", "Content-Length", "Transfer-Encoding"):
            if len(self.headers.get_all(name, ())) > 1:
                self.close_connection = True
                raise HTTPError(400, f"duplicate {name} header")
        if "Content-Length" in self.headers and "Transfer-Encoding" in self.headers:
            self.close_connection = True
            raise HTTPError(400, "both Content-Length and Transfer-Encoding: send one")
        if not self.server.loopback:
            return
        host = self.headers.get("Host", "")
        name = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        if not _is_loopback(name.lower().rstrip(".")):
            raise HTTPError(403, f"this demo server answers only to loopback names (Host: {host!r})")

    def _dispatch(self, method):
        self._consumed = False  # has the request body been read? (if not, the connection can't be reused)
        self.connection.settimeout(self.timeout)  # the deadline was for reading the request; answering has its own
        try:
            self._check_headers()
            path = self.path.split("?", 1)[0]
            if path.startswith("/api/"):
                status, obj = self._api(method, path)
                if status == 204:
                    self._send(204)
                else:
                    self._json(status, obj)
            elif method in ("GET", "HEAD"):
                self._static(path)
            else:
                raise HTTPError(405, f"{method} is not allowed on {path}")
        except (HTTPError, forms.BadRequest) as e:
            if not self._consumed and self.headers.get("Content-Length", "0").strip() != "0":
                self.close_connection = True
            self._error(e.status, str(e))
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # a bug: say so, keep serving
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self._error(500, f"internal error: {type(e).__name__}: {e}")
            except OSError:
                pass

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    # ------------------------------------------------------------------ static files
    def _static(self, path):
        name = "index.html" if path in ("/", "/index.html") else path[len("/static/") :] if path.startswith("/static/") else None
        files = self.server.static_files
        if name not in files:  # only files that exist in static/ at start: no path tricks
            raise HTTPError(404, f"not found: {path}")
        with open(os.path.join(STATIC_DIR, name), "rb") as f:
            body = f.read()
        self._send(200, body, files[name])

    # ------------------------------------------------------------------ the API
    def _api(self, method, path):
        store = self.server.store
        routed = share.api(self, method, path)  # hook (issue 12 part B): links, checkpoints, CSV, hyper, side by side
        if routed is not None:
            return routed
        if path == "/api/options":
            _allow(method, path, "GET")
            return 200, options(store.default_preset)
        if path == "/api/sessions":
            _allow(method, path, "POST")
            body = self._body()
            try:
                store.check_room()  # a full server says so at once, not after waiting for a worker
                return 201, self._compute(lambda: store.create(body).snapshot())  # building one is work too
            except sessions.StoreFull as e:
                raise HTTPError(503, str(e)) from None
        m = _SESSION_PATH.match(path)
        if not m:
            raise HTTPError(404, f"no such API endpoint: {path}")
        sid, action = m.groups()
        if action is None and method == "DELETE":
            if not store.delete(sid):
                raise HTTPError(404, f"unknown session {sid!r} (it may have expired)")
            return 204, None
        _allow(method, path, "GET" if action is None else "POST")
        body = self._body() if method == "POST" else None
        s = store.get(sid)
        if s is None:
            raise HTTPError(404, f"unknown session {sid!r} (it may have expired)")
        with _locked(s):
            return 200, self._compute(lambda: _session_action(s, action, body, store.default_preset))

    def _compute(self, fn):
        """`fn()` on one of the server's worker threads. A small fixed pool bounds how much training runs
        at once (plain requests stay fast) and its memory: each thread's malloc arena keeps its
        high-water mark, so steps run on any of 50 connection threads held ~50 step graphs' worth."""
        future = self.server.pool.submit(fn)
        try:
            return future.result(timeout=WORK_TIMEOUT)
        except concurrent.futures.TimeoutError:
            if future.cancel():  # still queued: give up on it
                raise HTTPError(503, "the demo server is busy training other sessions; try again in a moment") from None
            return future.result()  # already running: it ends within the step budget


def _session_action(s, action, body, default_preset):
    """The session endpoints' work (the caller holds the session's lock); the response's JSON."""
    if action is None:
        return s.snapshot()
    if action == "step":
        light = body.get("light", False) if isinstance(body, dict) else False
        if not isinstance(light, bool):
            raise forms.BadRequest(f"light must be true or false, got {light!r}")
        steps = forms.check_steps({k: v for k, v in body.items() if k != "light"} if isinstance(body, dict) else body)
        records = s.step(steps)
        return {**s.snapshot(history=False, light=light), "records": records}
    if action == "weight":
        s.set_weight(*network.parse_weight(body, network.layer_arrays(s.model)))
        return s.snapshot(history=False)
    if action == "reset":
        s.reset(forms.parse_config(body, default_preset))
        return s.snapshot()
    if action == "pick":
        point = s.parse_point(body, extra=("expand",))
        expand = body.get("expand", False)
        if not isinstance(expand, bool):
            raise forms.BadRequest(f"expand must be true or false, got {expand!r}")
        s.trace(*point)  # a point that cannot be traced now is refused (409), not kept
        s.pick, s.expand = point, expand
        return s.snapshot(history=False)
    # points
    if not isinstance(body, dict) or body.get("op") not in ("add", "remove"):
        op = body.get("op") if isinstance(body, dict) else body
        raise forms.BadRequest(f"op must be 'add' or 'remove', got {op!r}")
    point = {k: v for k, v in body.items() if k != "op"}
    if body["op"] == "add":
        s.add_point(*s.parse_point(point))
        out = {"added": True}
    else:
        x, y, _ = s.parse_point(point, need_label=False)
        out = {"removed": s.remove_nearest(x, y)}
    return {**s.snapshot(history=False), **out}


def _allow(method, path, allowed):
    if method != allowed and not (allowed == "GET" and method == "HEAD"):
        raise HTTPError(405, f"{method} is not allowed on {path}; use {allowed}")


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class _locked:
    """Hold a session's lock, or answer 503 if another request keeps it too long."""

    def __init__(self, session):
        self.session = session

    def __enter__(self):
        if not self.session.lock.acquire(timeout=LOCK_TIMEOUT):
            raise HTTPError(503, "this session is busy with another request; try again")
        return self.session

    def __exit__(self, *exc):
        self.session.lock.release()


# ---------------------------------------------------------------------- server


class DemoServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a hung client never keeps the process alive
    request_queue_size = 64

    def server_close(self):
        super().server_close()
        if hasattr(self, "pool"):
            self.pool.shutdown(wait=False, cancel_futures=True)


class DemoServer6(DemoServer):
    address_family = socket.AF_INET6


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(
    host="127.0.0.1",
    port=8000,
    preset="seed",
    max_sessions=16,
    idle_seconds=1800.0,
    verbose=False,
    workers=WORKERS,
    active_seconds=sessions.ACTIVE_SECONDS,
):
    """A ready-to-run server (call `serve_forever()`); port 0 picks a free port. At most `max_sessions`
    sessions live at once (a new one evicts only a session idle for `active_seconds`, else it gets a
    503), and at most `workers` requests compute at once.

    Raises ValueError for a bad port or preset and OSError if the address is taken.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int in [0, 65535], got {port!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if not isinstance(host, str) or not host:
        raise ValueError(f"host must be a host name or address, got {host!r}")
    store = sessions.SessionStore(preset, max_sessions=max_sessions, idle_seconds=idle_seconds, active_seconds=active_seconds)
    cls = DemoServer6 if ":" in host else DemoServer
    httpd = cls((host, port), DemoHandler)
    httpd.store = store
    httpd.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="demo-worker")
    httpd.loopback = _is_loopback(host)
    httpd.verbose = verbose
    httpd.static_files = {
        n: CONTENT_TYPES[os.path.splitext(n)[1]]
        for n in sorted(os.listdir(STATIC_DIR))
        if os.path.splitext(n)[1] in CONTENT_TYPES
    }
    return httpd


def url(httpd):
    """The page's address for a server from `make_server`."""
    host, port = httpd.server_address[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
