"""The one HTTP policy for every outside call (the Hub, LiveBench): a timeout on every attempt, retries with
jittered backoff that honour Retry-After and RateLimit, client-side pacing under a quota, and the raw bytes of
every final answer recorded for the landing zone.

It is an httpx2 transport (`PolicyTransport`), so it also sits under huggingface_hub's own client
(hubsignal/hub/client.py). A transport may be shared process-wide, so it looks up the engine driving the
current call through a ContextVar (thread-safe; calls made outside `PolicyEngine.recording()` get the default
policy and are not recorded).
"""

from __future__ import annotations

import importlib.metadata
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx2  # huggingface_hub 2.4 is built on it
from httpx2._utils import get_environment_proxies

log = logging.getLogger("hubsignal.http")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Transient transport failures. Others (UnsupportedProtocol, LocalProtocolError) fail on the first attempt.
RETRY_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
QUOTA_WINDOW_S = 300.0  # the Hub's fixed rate-limit window
_RATELIMIT_RE = re.compile(r"\br\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)")
# Errors the client raises while turning a page into ModelInfo objects (bad JSON, unexpected shapes).
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)


@dataclass(frozen=True)
class HttpPolicy:
    """How every request is made. Defaults suit an anonymous Hub client (quota 500 per 5 min)."""

    endpoint: str = "https://huggingface.co"  # no trailing slash; a plain http://127.0.0.1:PORT works
    timeout_s: float = 30.0  # connect/read/write/pool timeout of each attempt
    max_attempts: int = 6  # attempts per request, first one included
    backoff_base_s: float = 1.0  # full-jitter backoff: uniform(0, min(max, base * 2**(attempt-1)))
    backoff_max_s: float = 60.0
    quota_per_5min: int = 450  # client-side pacing, kept under the Hub's quota for headroom
    rate_limit_max_wait_s: float = 305.0  # cap on Retry-After / RateLimit t: a window never resets later
    rate_limit_slack_s: float = 1.0  # added to Retry-After / t (whole seconds, rounded down by the server)


class HttpRequestError(RuntimeError):
    """A request failed for good. A RuntimeError on purpose: huggingface_hub does not retry it."""

    def __init__(self, method: str, url: str, reason: str, attempts: int):
        self.method, self.url, self.reason, self.attempts = method, safe_url(url), reason, attempts
        super().__init__(f"{method} {self.url} failed after {attempts} attempt(s): {reason}")


@dataclass(frozen=True)
class RecordedResponse:
    """A final response exactly as received (body after content decoding), for the landing zone."""

    url: str  # request URL; never carries a token (tokens travel in the Authorization header only)
    status: int
    body: bytes
    fetched_at: datetime  # UTC aware
    rate_limit: str | None  # raw `RateLimit` header, e.g. '"api";r=497;t=212'
    attempts: int = 1  # attempts it took, for run metadata
    next_url: str | None = None  # the `Link: <...>; rel="next"` URL of a paged listing (its cursor), if any


def parse_rate_limit(value: str | None) -> tuple[int, int] | None:
    """`"api";r=<remaining>;t=<seconds to reset>` -> (remaining, reset_s); None when absent/unparsable."""
    match = _RATELIMIT_RE.search(value or "")
    return (int(match[1]), int(match[2])) if match else None


def safe_url(url: str) -> str:
    """Drop userinfo (an endpoint like https://user:secret@host must never reach logs or errors)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))


class PolicyEngine:
    """Policy state shared by the calls of one client: pacing window, rate-limit pause, counter."""

    def __init__(
        self, policy: HttpPolicy, clock: Callable[[], float], sleep: Callable[[float], None], rng: random.Random
    ):
        self.policy, self._clock, self._sleep, self._rng = policy, clock, sleep, rng
        self._sent: deque[float] = deque()
        self._not_before = 0.0  # set when the server said r=0: nothing goes out before the reset
        self._lock = threading.Lock()
        self.requests_sent = 0

    def _pace(self) -> None:
        # The lock is held while sleeping on purpose: pacing serializes concurrent callers.
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - QUOTA_WINDOW_S:
                    self._sent.popleft()
                wait = self._not_before - now
                if len(self._sent) >= self.policy.quota_per_5min:
                    wait = max(wait, self._sent[0] + QUOTA_WINDOW_S - now)
                if wait <= 0:
                    break
                log.info("pacing: waiting %.2fs before the next Hub request", wait)
                self._sleep(wait)
            self._sent.append(now)
            self.requests_sent += 1

    def _server_wait(self, seconds: float) -> float:
        return min(seconds + self.policy.rate_limit_slack_s, self.policy.rate_limit_max_wait_s)

    def _backoff(self, attempt: int) -> float:
        p = self.policy
        return self._rng.uniform(0, min(p.backoff_max_s, p.backoff_base_s * 2 ** (attempt - 1)))

    def _retry_wait(self, response: httpx2.Response, attempt: int) -> float:
        if response.status_code in (429, 503):
            retry_after = response.headers.get("Retry-After", "").strip()
            if retry_after.isdigit():
                return self._server_wait(int(retry_after))
            rate = parse_rate_limit(response.headers.get("RateLimit"))
            if rate and rate[0] == 0:
                return self._server_wait(rate[1])
        return self._backoff(attempt)

    @contextmanager
    def recording(
        self, on_response: Callable[[RecordedResponse], None] | None = None
    ) -> Iterator[list[RecordedResponse]]:
        """Calls made inside run under this engine; their final answers are appended to the yielded list.
        `on_response(answer)` runs as each final answer arrives, before the library reads it (e.g. to land a
        listing page and checkpoint its cursor before the next page is asked for)."""
        call = _Call(self, _Recording(on_response))
        reset = _CURRENT.set(call)
        try:
            yield call.recording
        finally:
            _CURRENT.reset(reset)

    def send(
        self, inner: httpx2.BaseTransport, request: httpx2.Request, recording: list[RecordedResponse] | None
    ) -> httpx2.Response:
        p = self.policy
        # huggingface_hub passes timeout=None per request, which beats any client default: set it here
        # (a caller's own smaller timeout still wins).
        given = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {
            k: p.timeout_s if given.get(k) is None else min(given[k], p.timeout_s)
            for k in ("connect", "read", "write", "pool")
        }
        url = safe_url(str(request.url))
        for attempt in range(1, p.max_attempts + 1):
            self._pace()
            try:
                response = inner.handle_request(request)
                response.read()  # inside timeout+retry, and the recording needs the bytes
            except RETRY_EXCEPTIONS as exc:
                reason, wait = f"{type(exc).__name__}: {exc}", self._backoff(attempt)
            except httpx2.TransportError as exc:
                raise HttpRequestError(request.method, url, f"{type(exc).__name__}: {exc}", attempt) from exc
            else:
                rate = parse_rate_limit(response.headers.get("RateLimit"))
                if rate and rate[0] == 0:
                    self._not_before = max(self._not_before, self._clock() + self._server_wait(rate[1]))
                if response.status_code not in RETRY_STATUSES:
                    if recording is not None and not response.has_redirect_location:
                        recording.append(
                            RecordedResponse(
                                url=url,
                                status=response.status_code,
                                body=response.content,
                                fetched_at=datetime.now(UTC),
                                rate_limit=response.headers.get("RateLimit"),
                                attempts=attempt,
                                next_url=response.links.get("next", {}).get("url"),
                            )
                        )
                    return response
                reason, wait = f"HTTP {response.status_code}", self._retry_wait(response, attempt)
                response.close()
            if attempt == p.max_attempts:
                raise HttpRequestError(request.method, url, reason, attempt)
            log.warning(
                "request %s %s failed (%s); retry %d/%d in %.2fs",
                request.method,
                url,
                reason,
                attempt,
                p.max_attempts - 1,
                wait,
            )
            self._sleep(wait)
        raise AssertionError("unreachable")


class _Recording(list):
    """The final answers of a call, with an optional hook run on each as it arrives."""

    def __init__(self, on_response: Callable[[RecordedResponse], None] | None):
        super().__init__()
        self._on_response = on_response

    def append(self, item: RecordedResponse) -> None:
        super().append(item)
        if self._on_response is not None:
            self._on_response(item)


@dataclass
class _Call:
    engine: PolicyEngine
    recording: list[RecordedResponse]


_CURRENT: ContextVar[_Call | None] = ContextVar("hubsignal_http_call", default=None)
_DEFAULT_ENGINE: PolicyEngine | None = None


def _default_engine() -> PolicyEngine:
    global _DEFAULT_ENGINE
    if _DEFAULT_ENGINE is None:
        _DEFAULT_ENGINE = PolicyEngine(HttpPolicy(), time.monotonic, time.sleep, random.Random())
    return _DEFAULT_ENGINE


class PolicyTransport(httpx2.BaseTransport):
    """Wraps the real transport; applies the policy of the engine driving the current call."""

    def __init__(self, inner: httpx2.BaseTransport | None = None):
        self._inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        call = _CURRENT.get()
        if call is None:
            return _default_engine().send(self._inner, request, None)
        return call.engine.send(self._inner, request, call.recording)

    def close(self) -> None:
        self._inner.close()


def policy_client(**kwargs) -> httpx2.Client:
    """An httpx2 client whose every request goes through PolicyTransport (timeouts are the policy's)."""
    # A custom transport turns off httpx2's env proxies (HTTPS_PROXY, NO_PROXY): mount them back.
    mounts = {
        pattern: PolicyTransport(httpx2.HTTPTransport(proxy=proxy) if proxy else None)
        for pattern, proxy in get_environment_proxies().items()
    }
    return httpx2.Client(transport=PolicyTransport(), mounts=mounts, follow_redirects=True, timeout=None, **kwargs)


def version() -> str:
    try:
        return importlib.metadata.version("hubsignal")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


class PolicedClient:
    """What every client of the pipeline shares: one PolicyEngine (pacing, retries, the request count)."""

    def __init__(
        self,
        policy: HttpPolicy | None,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        rng: random.Random | None,
    ):
        self.policy = policy or HttpPolicy()
        self._engine = PolicyEngine(self.policy, clock, sleep, rng or random.Random())

    @property
    def requests_sent(self) -> int:
        """HTTP requests actually sent by this client (retries included)."""
        return self._engine.requests_sent


class HttpFetcher(PolicedClient):
    """Plain recorded GETs for non-Hub sources (e.g. LiveBench's static files) under the same policy
    as the Hub: per-attempt timeout, retries on 408/429/5xx and network errors honouring
    Retry-After / RateLimit, pacing. Sends no token and no Hub headers."""

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        super().__init__(policy, clock, sleep, rng)
        self._client = policy_client(headers={"User-Agent": f"hubsignal/{version()}"})

    def get_raw(self, url: str) -> RecordedResponse:
        """The final answer to GET url as received, whatever its status (404 included); HttpRequestError
        when the retries are exhausted or the transport fails for good."""
        with self._engine.recording() as recording:
            self._client.get(url)
        return recording[-1]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
