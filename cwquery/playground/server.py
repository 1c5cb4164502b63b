"""The playground's web server: a Flask application serving the page and a small JSON API.

=================  ====  ==========================================================
``/``              GET   the page (``static/index.html``; assets under ``/static/``)
``/api/samples``   GET   the lines (and events) of the command line's files, the limits, the token
``/api/match``     POST  ``{pattern, lines, metric?}``: the pattern's check and the matches
``/api/explain``   POST  ``{pattern, line, number?, metric?}``: one line explained
``/api/read``      POST  a file's bytes (``?name=``): its messages, as ``cwquery test`` reads it,
                         and, when the file gives any, each one's time, stream and ingestion
                         time (``events``)
``/api/insights``  POST  ``{query, lines, events?, logGroup?}``: a Logs Insights query run over
                         the lines (timed by ``events``, as ``/api/read`` gave them)
=================  ====  ==========================================================

Bad requests get a 4xx answer ``{"error": "..."}``. When the server listens on a loopback
address it answers only requests addressed to a loopback name, so a web page elsewhere cannot
reach the samples through a DNS name pointed at 127.0.0.1. No POST can come from a page
elsewhere: ``/api/match``, ``/api/explain`` and ``/api/insights`` take only
``application/json`` bodies (415 otherwise), and ``/api/read``, whose body is a file, needs the
server's token in the ``X-CWQuery-Token`` header (403 otherwise); a browser sends neither across
sites without a preflight this server never answers, and only a page of this server can read
the token.

>>> client = create_app().test_client()
>>> client.post("/api/match", json={"pattern": "ERROR", "lines": ["ERROR a", "b"]}).json["matched"]
[0]
>>> client.post("/api/match", json={"lines": []}).json
{'error': "the request needs 'pattern'"}
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from cwquery.playground import api

#: Where the page's files are, inside the installed package.
STATIC = resources.files("cwquery.playground") / "static"
DEFAULT_PORT = 8642
#: The header that carries the server's token on ``/api/read`` requests.
TOKEN_HEADER = "X-CWQuery-Token"
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_CONTENT_SECURITY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(
    samples: Sequence[Mapping[str, Any]] = (),
    *,
    loopback_only: bool = True,
    token: str | None = None,
) -> Flask:
    """The Flask application. ``samples`` are the command line's files, as
    :func:`cwquery.playground.api.read_files` gives them; with ``loopback_only`` the server
    refuses requests whose ``Host`` is not a loopback name. ``token`` (random unless given)
    is what ``/api/read`` requests must carry in :data:`TOKEN_HEADER`."""
    token = token or secrets.token_urlsafe(24)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    # JSON escapes (a quote becomes \") can double a sample's size on the way in
    app.config["MAX_CONTENT_LENGTH"] = 2 * api.MAX_SAMPLE_BYTES + 64 * 1024
    initial = {
        "sources": [{"name": s["name"], "count": len(s["lines"])} for s in samples],
        "lines": [line for s in samples for line in s["lines"]],
        "limits": {"bytes": api.MAX_SAMPLE_BYTES, "lines": api.MAX_SAMPLE_LINES},
        "token": token,
    }

    known = [known for s in samples for known in s.get("events", [None] * len(s["lines"]))]
    if any(known):
        initial["events"] = known

    @app.before_request
    def addressed_to_loopback() -> Response | None:
        if loopback_only and not _is_loopback(request.host):
            return _json(
                {"error": f"this server answers only on loopback, not {request.host}"}, 403
            )
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CONTENT_SECURITY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        status = err.code or 500
        if status == 413:
            limit = api.MAX_SAMPLE_BYTES // (1024 * 1024)
            return _json(
                {"error": f"the request is too large: samples are limited to {limit} MiB"}, 413
            )
        return _json({"error": f"{err.name}: {err.description}"}, status)

    @app.errorhandler(api.ApiError)
    def api_error(err: api.ApiError) -> Response:
        return _json({"error": str(err)}, err.status)

    @app.get("/")
    def page() -> Response:
        return app.send_static_file("index.html")

    @app.get("/api/samples")
    def samples_answer() -> Response:
        return _json(initial)

    @app.post("/api/match")
    def match() -> Response:
        body = _body()
        pattern = api.text_field(body, "pattern")
        metric = api.MetricSpec.from_json(body.get("metric"))
        return _json(api.match_lines(pattern, api.lines_field(body), metric))

    @app.post("/api/explain")
    def explain() -> Response:
        body = _body()
        pattern = api.text_field(body, "pattern")
        line = api.text_field(body, "line")
        number = body.get("number", 1)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise api.ApiError("'number' must be a whole number from 1")
        metric = api.MetricSpec.from_json(body.get("metric"))
        return _json(api.explain_line(pattern, line, number, metric))

    @app.post("/api/insights")
    def insights() -> Response:
        from cwquery.playground.insights import events_field, query_lines

        body = _body()
        query = api.text_field(body, "query")
        group = api.text_field(body, "logGroup", required=False) or None
        lines = api.lines_field(body)
        return _json(query_lines(query, lines, group, events_field(body, len(lines))))

    @app.post("/api/read")
    def read() -> Response:
        if not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
            raise api.ApiError(
                f"send the {TOKEN_HEADER} header with the token /api/samples gives", 403
            )
        name = request.args.get("name", "sample")
        events = api.read_sample_events(name, request.get_data(cache=False))
        answer: dict[str, Any] = {"name": name, "lines": [event.message for event in events]}
        known = api.event_fields(events)
        if any(known):  # a file of bare messages is answered as before: its lines
            answer["events"] = known
        return _json(answer)

    return app


def _body() -> dict[str, Any]:
    """The request's JSON object, or a 4xx :class:`~cwquery.playground.api.ApiError`."""
    if request.mimetype != "application/json":
        raise api.ApiError("send the request body as application/json", 415)
    try:
        body = orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError as err:
        raise api.ApiError(f"the request body is not valid JSON: {err}") from err
    if not isinstance(body, dict):
        raise api.ApiError("the request body must be a JSON object")
    return body


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status=status, mimetype="application/json")


def _is_loopback(host: str) -> bool:
    """Whether a ``Host`` header names this machine by a loopback name or address.

    >>> _is_loopback("127.0.0.1:8642"), _is_loopback("[::1]:80"), _is_loopback("evil.test:8642")
    (True, True, False)
    """
    name = urlsplit(f"//{host}").hostname or ""
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_address(host: str) -> bool:
    """Whether the server is asked to listen on a loopback address only.

    >>> is_loopback_address("127.0.0.1"), is_loopback_address("0.0.0.0")
    (True, False)
    """
    return _is_loopback(host if ":" not in host else f"[{host}]")


class _QuietHandler(WSGIRequestHandler):
    """Serves requests without printing a line for each."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class PlaygroundServer:
    """The application served by werkzeug in a background thread; ``port=0`` picks a free
    port (read :attr:`url` after :meth:`start`)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def start(self) -> PlaygroundServer:
        """Listen and serve in a daemon thread. Raises ``OSError`` when the port is taken."""
        # bound here so that a taken port raises OSError (werkzeug would exit the process)
        family = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((self.host, self.port), family=family) as listening:
            self._server = make_server(
                self.host,
                self.port,
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                fd=listening.fileno(),
            )
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="cwquery-playground", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> PlaygroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
