"""Polite HTTP fetching with httpx: robots.txt, per-host delay, retries with backoff, size and type limits,
and only to public addresses unless the source allows private ones."""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from courlan import normalize_url

from newsflow.document.page import known_charset
from newsflow.ingest.addresses import CheckedTransport, IPNetwork, PrivateAddressError
from newsflow.settings import Settings

LOGGER = logging.getLogger(__name__)

ARTICLE_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
MAX_REDIRECTS = 5
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ROBOTS_ROLE = "robots"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one URL gave: a response (status, headers, body) or the error that stopped it."""

    url: str
    role: str
    fetched_at: datetime
    status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: int = 0
    error_class: str | None = None
    message: str = ""

    def failed(self, error_class: str, message: str) -> FetchResult:
        """This response, judged unusable for the reason given."""
        return dataclasses.replace(self, error_class=error_class, message=message)

    @property
    def ok(self) -> bool:
        return self.error_class is None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


def normalise_url(url: str) -> str:
    """Canonical form used for dedup and ids: tracking parameters (utm_*…) and fragments removed."""
    try:
        return normalize_url(url.strip(), strict=True)
    except ValueError:
        return url.strip()


class Fetcher:
    """One HTTP client for a run: keeps connections, robots.txt answers and per-host timing.

    Every connection, redirects and robots.txt included, goes to a public address or one in
    `allow_private_addresses` (a source's networks), else the URL fails as `private_address`.
    `transport` (default: httpx's, one per host) is what connects once an address is checked.
    `sleep` and `clock` are injectable so tests can count waits instead of spending them.
    """

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        allow_private_addresses: Sequence[IPNetwork] = (),
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._last_request: dict[str, float] = {}
        # an origin's rules, or its failed robots.txt response (unreadable, or a refused address)
        self._robots: dict[str, RobotFileParser | FetchResult] = {}
        self._host_delay: dict[str, float] = {}  # a robots.txt Crawl-delay longer than host_delay_s
        self.robots_log: list[FetchResult] = []  # robots.txt fetches, for the fetch log
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False,  # followed hop by hop in get(), each checked like a first request
            transport=CheckedTransport(allow_private_addresses, transport),
            trust_env=False,  # an HTTP(S)_PROXY would connect to addresses the check never sees
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def get(self, url: str, role: str, validators: dict[str, str] | None = None) -> FetchResult:
        """GET `url` politely, retrying transient failures; never raises for a bad URL or server.

        Redirects are followed one hop at a time, each checked like a first request: only to
        http(s) (else `bad_redirect`), only to an allowed address (else `private_address`, not
        retried), and only where that host's robots.txt allows. `validators` (etag,
        last_modified) make the request conditional: a 304 comes back as an ok result with no
        body. Articles must be HTML; feeds and sitemaps are judged by whether their body parses,
        whatever their content type says.
        """
        headers = {}
        if validators and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators and validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            refusal = self._refusal(target)
            if refusal is not None:
                return dataclasses.replace(refusal, url=url, role=role, final_url=target)
            result = dataclasses.replace(self._with_retries(target, role, headers), url=url, final_url=target)
            location = result.headers.get("location") if result.status in REDIRECT_STATUSES else None
            if location is None:
                return self._check_type(result)
            target = urljoin(target, location)
            if urlsplit(target).scheme not in ("http", "https"):
                return result.failed("bad_redirect", f"redirected to {target}, which is not http(s)")
        return result.failed("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")

    def _refusal(self, url: str) -> FetchResult | None:
        """Why `url` is not fetched (not http(s), a refused address, an unreadable robots.txt, or a
        disallow); None if allowed."""
        if urlsplit(url).scheme not in ("http", "https"):
            return FetchResult(
                url, "", datetime.now(UTC), error_class="invalid_url", message="not an http(s) URL"
            )
        robots = self._robots_for(url)
        if isinstance(robots, FetchResult) and robots.error_class == "private_address":
            return robots  # the host's address was refused: no request reached it
        if isinstance(robots, FetchResult):  # an outage, not a decision: it counts as a failure
            return FetchResult(
                url,
                "",
                datetime.now(UTC),
                error_class="robots_unavailable",
                message="robots.txt could not be read (no answer or a 5xx), so nothing is fetched",
            )
        if not robots.can_fetch(self.settings.user_agent, url):
            return FetchResult(
                url,
                "",
                datetime.now(UTC),
                error_class="robots_disallowed",
                message="robots.txt disallows this URL",
            )
        return None

    def _with_retries(self, url: str, role: str, headers: dict[str, str]) -> FetchResult:
        """One URL (no redirect followed), retried with backoff on timeouts, connection errors, 429 and 5xx."""
        attempt = 0
        while True:
            result, retry_after = self._attempt(url, role, headers)
            if result.error_class is None or retry_after is None or attempt >= self.settings.fetch_retries:
                return result
            wait = retry_after if retry_after > 0 else self.settings.fetch_backoff_s * 2**attempt
            if wait > self.settings.max_retry_after_s:
                return result.failed(
                    result.error_class, f"{result.message}; Retry-After {wait:.0f}s is too long"
                )
            LOGGER.info("retrying %s in %.1fs after %s", url, wait, result.error_class)
            self._sleep(wait)
            attempt += 1

    def _robots_for(self, url: str) -> RobotFileParser | FetchResult:
        """The host's robots.txt rules (a 4xx means no rules), or its response when it could not be read.

        Read with retries like any request, so one transient 503 does not close a host for the
        run; its Crawl-delay, when longer than ours, spaces the host's requests.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            result = self._with_retries(f"{origin}/robots.txt", ROBOTS_ROLE, {})
            parser = RobotFileParser()
            rules: RobotFileParser | FetchResult = parser
            if result.status is not None and 400 <= result.status < 500:
                parser.parse([])
                result = dataclasses.replace(
                    result, error_class=None, message="no robots.txt: everything allowed"
                )
            elif result.status == 200:
                parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
                delay = parser.crawl_delay(self.settings.user_agent)
                if delay:
                    self._host_delay[parts.netloc] = float(delay)
            else:
                rules = result
            self.robots_log.append(result)
            self._robots[origin] = rules
        return self._robots[origin]

    def _attempt(self, url: str, role: str, headers: dict[str, str]) -> tuple[FetchResult, float | None]:
        """One request. The float is None when retrying is pointless, else the Retry-After (0 = use backoff)."""
        self._wait_for_host(url)
        started_at, start = datetime.now(UTC), self._clock()

        def failed(
            error_class: str, message: str, status: int | None = None, headers: dict[str, str] | None = None
        ) -> FetchResult:
            elapsed = int((self._clock() - start) * 1000)
            return FetchResult(
                url,
                role,
                started_at,
                status=status,
                headers={} if headers is None else headers,
                elapsed_ms=elapsed,
                error_class=error_class,
                message=message,
            )

        try:
            with self._client.stream("GET", url, headers=headers) as response:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                length = response_headers.get("content-length", "")
                declared = int(length) if length.isdigit() else 0
                if declared > self.settings.max_body_bytes:
                    return failed(
                        "body_too_large",
                        f"Content-Length {declared} > {self.settings.max_body_bytes}",
                        response.status_code,
                        headers=response_headers,
                    ), None
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.settings.max_body_bytes:
                        return failed(
                            "body_too_large",
                            f"body over {self.settings.max_body_bytes} bytes",
                            response.status_code,
                            headers=response_headers,
                        ), None
                status = response.status_code
                final_url = str(response.url)
        except (httpx.DecodingError, httpx.TransportError, httpx.InvalidURL) as exc:
            error_class, message, retry_after = _request_error(exc)
            return failed(error_class, message), retry_after
        elapsed = int((self._clock() - start) * 1000)
        result = FetchResult(url, role, started_at, status, final_url, response_headers, bytes(body), elapsed)
        if status == 304 or 200 <= status < 300 or status in REDIRECT_STATUSES:
            return result, None
        retry_after = (
            _retry_after_s(response_headers.get("retry-after")) if status in RETRYABLE_STATUSES else None
        )
        return result.failed(f"http_{status}", f"HTTP {status}"), retry_after

    def _wait_for_host(self, url: str) -> None:
        host = urlsplit(url).netloc
        last = self._last_request.get(host)
        if last is not None:
            delay = max(self.settings.host_delay_s, self._host_delay.get(host, 0.0))
            remaining = delay - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)
        self._last_request[host] = self._clock()

    def _check_type(self, result: FetchResult) -> FetchResult:
        if not result.ok or result.status == 304:
            return result
        content_type = result.content_type
        if result.charset and known_charset(result.charset) is None:  # kept: decoded from the page instead
            result = dataclasses.replace(
                result,
                message=f"unknown charset {result.charset!r} ignored; decoded from the page or by detection",
            )
        if result.role == "article" and content_type not in ARTICLE_CONTENT_TYPES:
            return result.failed(
                "unsupported_content_type", f"{content_type or 'no content type'} is not HTML"
            )
        return result  # a feed or sitemap is judged by its body: servers often label them text/html


def _request_error(exc: httpx.HTTPError | httpx.InvalidURL) -> tuple[str, str, float | None]:
    """A failed request's error class and message, and whether to retry (None: pointless; 0: with backoff)."""
    if isinstance(exc, httpx.DecodingError):  # e.g. Content-Encoding: gzip on a body that is not gzip
        return "decoding_error", f"{type(exc).__name__}: {exc}", None
    if isinstance(exc, PrivateAddressError):  # a decision about the address: asking again changes nothing
        return "private_address", str(exc), None
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", f"{type(exc).__name__}: {exc}", 0.0
    if isinstance(exc, httpx.TransportError):
        return "connection_error", f"{type(exc).__name__}: {exc}", 0.0
    return "invalid_url", str(exc), None


def _retry_after_s(value: str | None) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); 0 when absent or unreadable."""
    if not value:
        return 0.0
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
