"""Hub access for the pipeline: the real `huggingface_hub.HfApi`, with the httpx2 transport underneath it swapped
for the one HTTP policy (hubsignal/http.py, via `set_client_factory`): the library has no default timeout, does
not retry `model_info`, and hides the raw bytes we must land.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx2
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import _http as _hf_http
from huggingface_hub.utils import set_client_factory
from huggingface_hub.utils._pagination import paginate

from hubsignal.http import HttpPolicy, HttpRequestError, PolicedClient, RecordedResponse, policy_client, version

# Errors the client raises while turning a page into ModelInfo objects (bad JSON, unexpected shapes).
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)
_INSTALL_LOCK = threading.Lock()


def _telemetry_off() -> None:
    """huggingface_hub reads HF_HUB_DISABLE_TELEMETRY at its import, but the constant at call time: unless the
    user turned telemetry on explicitly, its extra call (to HF_ENDPOINT, not our endpoint) stays off."""
    if os.environ.get("HF_HUB_DISABLE_TELEMETRY", "1").strip().upper() in {"1", "ON", "YES", "TRUE"}:
        constants.HF_HUB_DISABLE_TELEMETRY = True


def _client_factory() -> httpx2.Client:
    # hf_request_event_hook keeps the library's offline-mode guard and request ids (it redacts tokens).
    return policy_client(event_hooks={"request": [_hf_http.hf_request_event_hook]})


def install() -> None:
    """Make huggingface_hub's shared session use PolicyTransport (idempotent; re-installs if replaced)."""
    with _INSTALL_LOCK:
        if getattr(_hf_http, "_GLOBAL_CLIENT_FACTORY", None) is not _client_factory:
            set_client_factory(_client_factory)


class HubClient(PolicedClient):
    """Hub access for the pipeline: raw pages/responses through the real HfApi, under HttpPolicy."""

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        token: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        """token=None lets huggingface_hub use HF_TOKEN / the stored login. clock/sleep/rng: for tests."""
        super().__init__(policy, clock, sleep, rng)
        self._api = HfApi(
            endpoint=self.policy.endpoint.rstrip("/"), token=token, library_name="hubsignal", library_version=version()
        )
        _telemetry_off()
        install()

    @contextmanager
    def _call(self) -> Iterator[list[RecordedResponse]]:
        install()
        with self._engine.recording() as recording:
            yield recording

    def _decode_error(self, recording: list[RecordedResponse], fallback_url: str, exc: Exception):
        bad = recording[-1] if recording else None
        return HttpRequestError(
            "GET",
            bad.url if bad else fallback_url,
            f"undecodable response: {type(exc).__name__}: {exc}",
            bad.attempts if bad else 0,
        )

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

    def list_models_paged(
        self,
        expand: list[str],
        on_page: Callable[[RecordedResponse], None],
        *,
        sort: str = "created_at",
        resume_url: str | None = None,
    ) -> int:
        """Page through the WHOLE Hub (`list_models(sort, expand)` with no author or filter), handing each raw
        page to `on_page` as it arrives, before the next one is asked for: the caller lands it and checkpoints
        its cursor (`page.next_url`, None on the last page). `resume_url`: a checkpointed cursor URL; the
        listing goes on from there with the library's own pager (the Link URL carries every parameter).
        Returns the number of pages handed over."""
        pages = 0

        def landed(page: RecordedResponse) -> None:
            nonlocal pages
            if page.status == 200:  # other final answers (4xx) surface as the library's errors
                pages += 1
                on_page(page)

        with self._engine.recording(on_response=landed) as recording:
            install()
            try:
                if resume_url is None:
                    items = self._api.list_models(sort=sort, expand=list(expand))
                else:
                    items = paginate(
                        resume_url, params=None, headers=self._api._build_hf_headers()
                    )  # None: keep its query
                for _ in items:
                    pass
            except HfHubHTTPError:
                raise
            except _DECODE_ERRORS as exc:
                raise self._decode_error(recording, resume_url or f"{self._api.endpoint}/api/models", exc) from exc
        return pages

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
