"""The one HTTP policy for every Hugging Face Hub call (timeouts, retries, pacing, raw recording).

The listing itself is the real `huggingface_hub.HfApi`; we only swap the httpx2 transport underneath it
(`set_client_factory`), because the library has no default timeout, does not retry `model_info`, and
hides the raw bytes we must land. The factory is process-wide, so the transport looks up the HubClient
driving the current call through a ContextVar (thread-safe; calls made outside a HubClient get the
default policy and are not recorded).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import random
import re
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

# Must precede the import: otherwise every first call also hits /api/agent-harnesses (flag read at import).
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import httpx2  # noqa: E402  (huggingface_hub 2.4 is built on it)
from httpx2._utils import get_environment_proxies  # noqa: E402
from huggingface_hub import HfApi, constants  # noqa: E402
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError  # noqa: E402
from huggingface_hub.utils import _http as _hf_http  # noqa: E402
from huggingface_hub.utils import set_client_factory  # noqa: E402

# The library reads the flag once, at its own import, which may have happened before ours; it reads the
# constant at call time, and its telemetry call goes to HF_ENDPOINT (not our endpoint): keep it off.
if os.environ["HF_HUB_DISABLE_TELEMETRY"].strip().upper() in {"1", "ON", "YES", "TRUE"}:
    constants.HF_HUB_DISABLE_TELEMETRY = True

log = logging.getLogger("hubsignal.hub")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Transient transport failures. Others (UnsupportedProtocol, LocalProtocolError) fail on the first attempt.
RETRY_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
QUOTA_WINDOW_S = 300.0  # the Hub's fixed rate-limit window
_RATELIMIT_RE = re.compile(r"\br\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)")
# Errors the client raises while turning a page into ModelInfo objects (bad JSON, unexpected shapes).
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)


@dataclass(frozen=True)
class HubPolicy:
    """How every Hub request is made. Defaults suit an anonymous client (quota 500 per 5 min)."""

    endpoint: str = "https://huggingface.co"  # no trailing slash; a plain http://127.0.0.1:PORT works
    timeout_s: float = 30.0  # connect/read/write/pool timeout of each attempt
    max_attempts: int = 6  # attempts per request, first one included
    backoff_base_s: float = 1.0  # full-jitter backoff: uniform(0, min(max, base * 2**(attempt-1)))
    backoff_max_s: float = 60.0
    quota_per_5min: int = 450  # client-side pacing, kept under the Hub's quota for headroom
    rate_limit_max_wait_s: float = 305.0  # cap on Retry-After / RateLimit t: a window never resets later
    rate_limit_slack_s: float = 1.0  # added to Retry-After / t (whole seconds, rounded down by the server)


class HubRequestError(RuntimeError):
    """A Hub request failed for good. A RuntimeError on purpose: huggingface_hub does not retry it."""

    def __init__(self, method: str, url: str, reason: str, attempts: int):
        self.method, self.url, self.reason, self.attempts = method, _safe_url(url), reason, attempts
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


def parse_rate_limit(value: str | None) -> tuple[int, int] | None:
    """`"api";r=<remaining>;t=<seconds to reset>` -> (remaining, reset_s); None when absent/unparsable."""
    match = _RATELIMIT_RE.search(value or "")
    return (int(match[1]), int(match[2])) if match else None


def _safe_url(url: str) -> str:
    """Drop userinfo (an endpoint like https://user:secret@host must never reach logs or errors)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))


class _Engine:
    """Policy state shared by the calls of one HubClient: pacing window, rate-limit pause, counter."""

    def __init__(self, policy: HubPolicy, clock: Callable[[], float], sleep: Callable[[float], None],
                 rng: random.Random):
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

    def send(self, inner: httpx2.BaseTransport, request: httpx2.Request,
             recording: list[RecordedResponse] | None) -> httpx2.Response:
        p = self.policy
        # huggingface_hub passes timeout=None per request, which beats any client default: set it here
        # (a caller's own smaller timeout still wins).
        given = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {k: p.timeout_s if given.get(k) is None else min(given[k], p.timeout_s)
                                         for k in ("connect", "read", "write", "pool")}
        url = _safe_url(str(request.url))
        for attempt in range(1, p.max_attempts + 1):
            self._pace()
            try:
                response = inner.handle_request(request)
                response.read()  # inside timeout+retry, and the recording needs the bytes
            except RETRY_EXCEPTIONS as exc:
                reason, wait = f"{type(exc).__name__}: {exc}", self._backoff(attempt)
            except httpx2.TransportError as exc:
                raise HubRequestError(request.method, url, f"{type(exc).__name__}: {exc}", attempt) from exc
            else:
                rate = parse_rate_limit(response.headers.get("RateLimit"))
                if rate and rate[0] == 0:
                    self._not_before = max(self._not_before, self._clock() + self._server_wait(rate[1]))
                if response.status_code not in RETRY_STATUSES:
                    if recording is not None and not response.has_redirect_location:
                        recording.append(RecordedResponse(
                            url=url, status=response.status_code, body=response.content,
                            fetched_at=datetime.now(timezone.utc),
                            rate_limit=response.headers.get("RateLimit"), attempts=attempt))
                    return response
                reason, wait = f"HTTP {response.status_code}", self._retry_wait(response, attempt)
                response.close()
            if attempt == p.max_attempts:
                raise HubRequestError(request.method, url, reason, attempt)
            log.warning("Hub request %s %s failed (%s); retry %d/%d in %.2fs",
                        request.method, url, reason, attempt, p.max_attempts - 1, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")


@dataclass
class _Call:
    engine: _Engine
    recording: list[RecordedResponse]


_CURRENT: ContextVar[_Call | None] = ContextVar("hubsignal_hub_call", default=None)
_DEFAULT_ENGINE: _Engine | None = None
_INSTALL_LOCK = threading.Lock()


def _default_engine() -> _Engine:
    global _DEFAULT_ENGINE
    if _DEFAULT_ENGINE is None:
        _DEFAULT_ENGINE = _Engine(HubPolicy(), time.monotonic, time.sleep, random.Random())
    return _DEFAULT_ENGINE


class PolicyTransport(httpx2.BaseTransport):
    """Wraps the real transport; applies the policy of the HubClient driving the current call."""

    def __init__(self, inner: httpx2.BaseTransport | None = None):
        self._inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        call = _CURRENT.get()
        if call is None:
            return _default_engine().send(self._inner, request, None)
        return call.engine.send(self._inner, request, call.recording)

    def close(self) -> None:
        self._inner.close()


def _proxy_mounts() -> dict[str, PolicyTransport]:
    # A custom transport turns off httpx2's env proxies (HTTPS_PROXY, NO_PROXY): mount them back.
    return {pattern: PolicyTransport(httpx2.HTTPTransport(proxy=proxy) if proxy else None)
            for pattern, proxy in get_environment_proxies().items()}


def _client_factory() -> httpx2.Client:
    # hf_request_event_hook keeps the library's offline-mode guard and request ids (it redacts tokens).
    return httpx2.Client(transport=PolicyTransport(), mounts=_proxy_mounts(), follow_redirects=True,
                         event_hooks={"request": [_hf_http.hf_request_event_hook]}, timeout=None)


def install() -> None:
    """Make huggingface_hub's shared session use PolicyTransport (idempotent; re-installs if replaced)."""
    with _INSTALL_LOCK:
        if getattr(_hf_http, "_GLOBAL_CLIENT_FACTORY", None) is not _client_factory:
            set_client_factory(_client_factory)


def _version() -> str:
    try:
        return importlib.metadata.version("hubsignal")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


class HubClient:
    """Hub access for the pipeline: raw pages/responses through the real HfApi, under HubPolicy."""

    def __init__(self, policy: HubPolicy | None = None, token: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None):
        """token=None lets huggingface_hub use HF_TOKEN / the stored login. clock/sleep/rng: for tests."""
        self.policy = policy or HubPolicy()
        self._engine = _Engine(self.policy, clock, sleep, rng or random.Random())
        self._api = HfApi(endpoint=self.policy.endpoint.rstrip("/"), token=token,
                          library_name="hubsignal", library_version=_version())
        install()

    @property
    def requests_sent(self) -> int:
        """HTTP requests actually sent by this client (retries included)."""
        return self._engine.requests_sent

    @contextmanager
    def _call(self) -> Iterator[list[RecordedResponse]]:
        install()
        call = _Call(self._engine, [])
        reset = _CURRENT.set(call)
        try:
            yield call.recording
        finally:
            _CURRENT.reset(reset)

    def _decode_error(self, recording: list[RecordedResponse], fallback_url: str, exc: Exception):
        bad = recording[-1] if recording else None
        return HubRequestError("GET", bad.url if bad else fallback_url,
                               f"undecodable response: {type(exc).__name__}: {exc}",
                               bad.attempts if bad else 0)

    def list_models_pages(self, author: str, expand: list[str], sort: str = "created_at") -> list[RecordedResponse]:
        """All pages of `list_models(author, sort, expand)`, raw and in order (the client follows Link)."""
        with self._call() as recording:
            try:
                for _ in self._api.list_models(author=author, sort=sort, expand=list(expand)):
                    pass
            except HfHubHTTPError:
                raise  # 4xx answers (BadRequestError is also a ValueError): the library's own errors
            except _DECODE_ERRORS as exc:
                raise self._decode_error(recording, f"{self._api.endpoint}/api/models", exc) from exc
        return list(recording)

    def model_info_raw(self, repo_id: str, expand: list[str], lenient: bool = False) -> RecordedResponse | None:
        """Raw `model_info(repo_id, expand)` response; None when the repo does not exist.

        lenient=True: a 200 answer that huggingface_hub cannot turn into a ModelInfo (e.g. an off-spec
        `evalResults` item) is still returned as received; the caller parses the raw body defensively."""
        with self._call() as recording:
            try:
                self._api.model_info(repo_id, expand=list(expand))
            except GatedRepoError:
                raise  # exists but is not readable: not the same as "no such repo"
            except RepositoryNotFoundError:
                return None
            except HfHubHTTPError:
                raise
            except _DECODE_ERRORS as exc:
                if lenient and recording and recording[-1].status == 200:
                    return recording[-1]
                raise self._decode_error(recording, f"{self._api.endpoint}/api/models/{repo_id}", exc) from exc
        return recording[-1]

    def card_raw(self, repo_id: str, revision: str) -> RecordedResponse:
        """README.md of `repo_id` at `revision` (pin a commit sha), as received. Downloaded by the library's own
        `hf_hub_download` (HEAD for the metadata, then GET) into a throw-away cache, under this policy.
        Raises the library's errors: RemoteEntryNotFoundError (no README at that revision), GatedRepoError
        (401/403 with X-Error-Code GatedRepo), RepositoryNotFoundError (no such repo)."""
        with self._call() as recording, tempfile.TemporaryDirectory(prefix="hubsignal-card-") as cache:
            self._api.hf_hub_download(repo_id, "README.md", revision=revision, cache_dir=cache)
        return recording[-1]  # the GET (the HEAD before it has no body)


class HttpFetcher:
    """Plain recorded GETs for non-Hub sources (e.g. LiveBench's static files) under the SAME policy
    engine as the Hub: per-attempt timeout, retries on 408/429/5xx and network errors honouring
    Retry-After / RateLimit, pacing. Sends no token and no Hub headers."""

    def __init__(self, policy: HubPolicy | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.policy = policy or HubPolicy()
        self._engine = _Engine(self.policy, clock, sleep, rng or random.Random())
        self._client = httpx2.Client(transport=PolicyTransport(), mounts=_proxy_mounts(), follow_redirects=True,
                                     timeout=None, headers={"User-Agent": f"hubsignal/{_version()}"})

    @property
    def requests_sent(self) -> int:
        return self._engine.requests_sent

    def get_raw(self, url: str) -> RecordedResponse:
        """The final answer to GET url as received, whatever its status (404 included); HubRequestError
        when the retries are exhausted or the transport fails for good."""
        call = _Call(self._engine, [])
        reset = _CURRENT.set(call)
        try:
            self._client.get(url)
        finally:
            _CURRENT.reset(reset)
        return call.recording[-1]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
