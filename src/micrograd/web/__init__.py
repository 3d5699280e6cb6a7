"""micrograd.web — the live browser demo: training runs in Python, the page draws it.

    micrograd demo                      # serves http://127.0.0.1:8000/ and opens a browser
    micrograd demo --port 0 --no-browser --preset llm101n

`server.py` is the HTTP server (standard library only) and its JSON API; `forms.py` what the
form offers and the check of every request body; `session.py` holds one training run per
browser tab (trained on the tensor engine, traced on a scalar copy: `trace.py` turns the
graph into the page's JSON); `network.py` computes the network view (every neuron's map over
the input plane, the edges' weights and gradients); `share.py` shared links, checkpoints in
and out, CSV drops and live training settings; `compare.py` side-by-side runs; `static/` is
the page (HTML, CSS and vanilla JavaScript split by concern: core, plots, panels, form,
network, share, controls, compare, i18n (English and Chinese), app; no build step, nothing
from a CDN).
"""

from .server import make_server, url

__all__ = ["make_server", "url", "serve"]


def serve(host="127.0.0.1", port=8000, preset="seed", open_browser=True, out=None):
    """Run the demo server until Ctrl-C; `out(line)` gets the URL line (default: stdout, flushed)."""
    httpd = make_server(host, port, preset)
    address = url(httpd)
    (out or (lambda line: print(line, flush=True)))(f"micrograd demo: serving on {address} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(address)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
