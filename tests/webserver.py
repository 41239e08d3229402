"""A real HTTP server on 127.0.0.1 for the fetch tests: fixture pages, feeds, sitemaps and misbehaviours."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (status, headers, body) or a callable computing it from the request handler.
Response = tuple[int, dict[str, str | None], bytes]
Route = Response | Callable[["Handler"], Response]

FRENCH_BODY = (
    "Les ministres de la Défense de l'OTAN se sont réunis jeudi à Bruxelles pour préparer le sommet de juillet, "
    "où l'élargissement et l'aide à l'Ukraine seront au centre des débats. Selon un diplomate, la question de "
    "l'adhésion de l'Ukraine reste très délicate, même si la majorité des alliés y est favorable à long terme."
)


def article_page(title: str, extra: str = "", charset: str = "utf-8") -> bytes:
    """A small but real article page: enough French prose to pass validation."""
    html = (
        f"<!DOCTYPE html><html lang='fr'><head><meta charset='{charset}'><title>{title}</title></head><body>"
        f"<article><h1>{title}</h1><p>{FRENCH_BODY}</p><p>{extra or 'Le sommet se tiendra à Washington.'}</p>"
        "</article></body></html>"
    )
    return html.encode(charset)


class Handler(BaseHTTPRequestHandler):
    server: TestServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append((self.path, dict(self.headers)))
        self.server.hits[self.path] += 1
        route = self.server.routes.get(self.path)
        if route is None:
            status, headers, body = 404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>"
        else:
            status, headers, body = route(self) if callable(route) else route
        self.send_response(status)
        for key, value in headers.items():
            if value is not None:  # None: leave the header out (e.g. no Content-Length)
                self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (size, timeout)
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


class TestServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.hits: Counter[str] = Counter()

    @property
    def base(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [headers for requested, headers in self.requests if requested == path]


def html(body: bytes, content_type: str = "text/html; charset=utf-8") -> Response:
    return 200, {"Content-Type": content_type}, body


def fail_then(first_statuses: list[int], then: Response, headers: dict[str, str] | None = None) -> Route:
    """A route answering the given error statuses first, then `then` (for retry tests)."""

    def route(handler: Handler) -> Response:
        count = handler.server.hits[handler.path]
        if count <= len(first_statuses):
            return first_statuses[count - 1], {"Content-Type": "text/html", **(headers or {})}, b"try again"
        return then

    return route


def slow(seconds: float, then: Response) -> Route:
    def route(handler: Handler) -> Response:
        time.sleep(seconds)
        return then

    return route


def with_etag(etag: str, response: Response) -> Route:
    """Answers 304 to a request carrying the same If-None-Match, else the response with its ETag."""

    def route(handler: Handler) -> Response:
        if handler.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        status, headers, body = response
        return status, {**headers, "ETag": etag}, body

    return route


def start(host: str = "127.0.0.1") -> TestServer:
    server = TestServer(host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
