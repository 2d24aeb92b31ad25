"""A fake Hugging Face Hub: a real HTTP server on 127.0.0.1 speaking the subset described in HUB_API.md.

    with FakeHub(models=[make_model("Qwen/Qwen3-8B", downloads=10)], page_size=2) as hub:
        HfApi(endpoint=hub.url).list_models(author="Qwen")   # hub.requests records what arrived

Routes: GET /api/models (author, repeated filter AND-ed over tags, sort, expand / expand[], limit, cursor
pagination with an ABSOLUTE Link header), GET /api/models/{repo_id} (model_info, incl. childrenModelCount
and baseModels), GET|HEAD /{repo_id}/resolve/{revision}/README.md (card files, see `cards`),
GET /api/agent-harnesses (404). Every answer carries RateLimit / RateLimit-Policy headers
(fixed 300 s window; past `quota` requests the fake answers 429 on its own).

Faults: `hub.add_fault(kind, path_prefix="/api/models", times=1, page=None, **kw)` queues a fault for the
next `times` requests whose path starts with `path_prefix` (so "/api/models/" targets model_info only) and,
when `page` is given, only the listing request for that 1-based page (page 1 = no cursor). Faults are
consumed in the order they were added. Kinds:
    "429"        RateLimit r=0;t=<reset, default 1>, Retry-After if retry_after=<s> is given
    "503" / any other status code as a string ("500", "502", "504", "408"); optional retry_after=<s>
    "hang"       answer nothing for `seconds` (default 5), then close the connection
    "truncated"  status 200, body cut mid-JSON; short_read=True declares the full Content-Length instead
                 (the client then sees a connection closed mid-body)
    "not_json"   status 200 with an HTML body (what a proxy or captive portal returns)

Malformed answers for one model (every model_info of it, not a fault queue): `FakeHub(malformed={repo_id: kind})`,
kind "not_json" (200 with an HTML body), "no_sha" (the answer lacks `sha`) or "children_shape"
(`childrenModelCount` is a string, neither an object nor an int).
"""

from __future__ import annotations

import base64
import gzip as gzip_lib
import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

EXPAND_PROPERTIES = frozenset(
    {
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
    }
)
MODEL_INFO_ONLY = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
EXPAND_ONLY = frozenset({"downloadsAllTime"}) | MODEL_INFO_ONLY  # never in a default answer
LIST_DEFAULT_FIELDS = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
SORT_FIELDS = {
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "downloads": "downloads",
    "likes": "likes",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
}
WINDOW_S = 300
HTML = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"


def _hex(seed: str, n: int) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:n]


def _iso(value: str | datetime) -> str:
    if isinstance(value, str):
        return value
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def make_model(
    id: str,
    *,
    downloads: int = 0,
    downloads_all_time: int | None = None,
    likes: int = 0,
    created_at: str | datetime = "2025-01-01T00:00:00.000Z",
    last_modified: str | datetime | None = None,
    tags: list[str] = (),
    pipeline_tag: str | None = None,
    library_name: str | None = None,
    gated: bool | str = False,
    trending_score: int = 0,
    private: bool = False,
    **extra,
) -> dict:
    """A model record with the real API's field names and formats. `extra` adds raw fields (e.g. "model-index")."""
    record = {
        "_id": _hex(id, 24),
        "id": id,
        "modelId": id,
        "author": id.split("/")[0],
        "likes": likes,
        "trendingScore": trending_score,
        "private": private,
        "downloads": downloads,
        "downloadsAllTime": downloads if downloads_all_time is None else downloads_all_time,
        "tags": list(tags),
        "pipeline_tag": pipeline_tag,
        "library_name": library_name,
        "createdAt": _iso(created_at),
        "lastModified": _iso(last_modified or created_at),
        "gated": gated,
        "disabled": False,
        "sha": _hex(id + "@sha", 40),
        **extra,
    }
    return {k: v for k, v in record.items() if v is not None}  # the Hub omits absent fields


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names


@dataclass
class _Fault:
    kind: str
    path_prefix: str
    times: int
    page: int | None
    kw: dict = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not block shutdown
    hub: FakeHub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real Hub
    timeout = 10  # idle connections end eventually

    def do_GET(self) -> None:  # noqa: N802
        self.server.hub._handle(self)

    def do_HEAD(self) -> None:  # noqa: N802  (hf_hub_download asks for file metadata first)
        self.server.hub._handle(self)

    def log_message(self, *args) -> None:  # quiet test output
        pass


class FakeHub:
    def __init__(
        self,
        models: list[dict] = (),
        children: dict[str, dict[str, int] | int] | None = None,
        page_size: int = 2,
        quota: int = 500,
        enforce_quota: bool = True,
        gzip: bool = False,
        cards: dict[str, str | bytes | int] | None = None,
        malformed: dict[str, str] | None = None,
    ):
        """children: per model id, the childrenModelCount to serve (object by relation, or a bare int);
        models not listed get per-relation counts derived from the other models' base_model tags.
        quota: requests per 300 s window (RateLimit headers); past it the fake answers 429 if enforce_quota.
        gzip: compress answers when the client accepts it (as the real Hub does).
        cards: per repo id, its README.md (text or bytes) served at /{repo_id}/resolve/{sha or main}/README.md,
        or an int status: 404 = no README (X-Error-Code EntryNotFound), 401/403 = gated (X-Error-Code
        GatedRepo: 401 anonymous, 403 token without access). Repos not listed have no README (404).
        Other revisions: 404 RevisionNotFound; unknown repos: 404 RepoNotFound."""
        self.models = {m["id"]: m for m in models}
        self.cards = dict(cards or {})  # mutable: tests change a card (and the repo's sha) between runs
        self.children = dict(children or {})
        self.malformed = dict(malformed or {})  # repo id -> not_json | no_sha | children_shape (model_info only)
        if set(self.malformed.values()) - {"not_json", "no_sha", "children_shape"}:
            raise ValueError(f"unknown malformed kind in {self.malformed}")
        self.page_size, self.quota, self.enforce_quota, self.gzip = page_size, quota, enforce_quota, gzip
        self.requests: list[SeenRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._window_start, self._window_count = time.monotonic(), 0
        self._server: _Server | None = None
        self.url = ""

    # lifecycle --------------------------------------------------------------------------------------
    def __enter__(self) -> FakeHub:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()  # wakes hanging handlers
        self._server.shutdown()
        self._server.server_close()

    def add_fault(
        self, kind: str, path_prefix: str = "/api/models", times: int = 1, page: int | None = None, **kw
    ) -> None:
        if kind not in ("hang", "truncated", "not_json") and not kind.isdigit():
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.append(_Fault(kind, path_prefix, times, page, kw))

    def requests_to(self, path_prefix: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # request handling -------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        query = parse_qs(split.query, keep_blank_values=True)
        with self._lock:
            self.requests.append(
                SeenRequest(h.command, split.path, query, {k.lower(): v for k, v in h.headers.items()})
            )
            now = time.monotonic()
            if now - self._window_start >= WINDOW_S:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            remaining = max(self.quota - self._window_count, 0)
            reset = max(1, math.ceil(self._window_start + WINDOW_S - now))
            fault = self._take_fault(split.path, self._page_of(split.path, query))
        headers = {
            "RateLimit": f'"api";r={remaining};t={reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.quota};w={WINDOW_S}',
        }
        if fault and fault.kind == "hang":
            self._stop.wait(fault.kw.get("seconds", 5.0))
            h.close_connection = True
            return
        if self.enforce_quota and self._window_count > self.quota and not fault:
            fault = _Fault("429", split.path, 1, None, {"reset": reset})
        status, payload, extra = self._route(split.path, query, split.query)
        # JSON compact, like the Hub; bytes (a repo file) as they are
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        headers.update(extra)
        declared = None
        if fault and fault.kind.isdigit():
            status = int(fault.kind)
            body = json.dumps(
                {"error": "You have been rate-limited" if status == 429 else "Service Unavailable"}
            ).encode()
            headers = {"RateLimit-Policy": headers["RateLimit-Policy"], "RateLimit": headers["RateLimit"]}
            if status == 429:
                headers["RateLimit"] = f'"api";r=0;t={fault.kw.get("reset", 1)}'
            if fault.kw.get("retry_after") is not None:
                headers["Retry-After"] = str(fault.kw["retry_after"])
        elif fault and fault.kind == "truncated":
            status, cut = 200, body[: max(1, len(body) // 2)]
            declared = len(body) if fault.kw.get("short_read") else None
            body = cut
        elif fault and fault.kind == "not_json":
            status, body = 200, HTML
            headers["Content-Type"] = "text/html; charset=utf-8"
        self._send(h, status, body, headers, declared)

    def _take_fault(self, path: str, page: int | None) -> _Fault | None:
        for fault in self._faults:
            if path.startswith(fault.path_prefix) and (fault.page is None or fault.page == page):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _send(self, h, status: int, body: bytes, headers: dict, declared: int | None) -> None:
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        if self.gzip and "gzip" in h.headers.get("Accept-Encoding", "") and declared is None:
            body, headers["Content-Encoding"] = gzip_lib.compress(body), "gzip"
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(declared if declared is not None else len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)
        if declared is not None:
            h.close_connection = True

    # routes ------------------------------------------------------------------------------------------
    def _route(self, path: str, query: dict, raw_query: str) -> tuple[int, object, dict]:
        if path == "/api/models":
            return self._list(query, raw_query)
        if path.startswith("/api/models/"):
            return self._info(path[len("/api/models/") :], query)
        if "/resolve/" in path:
            return self._resolve(path)
        return 404, {"error": "Not Found"}, {}

    def _resolve(self, path: str) -> tuple[int, object, dict]:
        """A repo file at a revision, with the headers huggingface_hub's download needs (ETag, X-Repo-Commit)."""
        repo_id, _, rest = path.lstrip("/").partition("/resolve/")
        revision, _, filename = rest.partition("/")
        model = self.models.get(repo_id)
        if model is None:
            return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
        sha = model.get("sha")
        if revision not in (sha, "main"):
            return 404, {"error": f"Invalid rev id: {revision}"}, {"X-Error-Code": "RevisionNotFound"}
        card = self.cards.get(repo_id, 404) if filename == "README.md" else 404
        if card == 404:
            return 404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": sha}
        if isinstance(card, int):
            message = f"Access to model {repo_id} is restricted. You must have access to it and be authenticated to access it. Please log in."
            return card, {"error": message}, {"X-Error-Code": "GatedRepo", "X-Error-Message": message}
        body = card.encode() if isinstance(card, str) else card
        etag = hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()  # a git blob id, like the Hub's
        return 200, body, {"Content-Type": "text/plain; charset=utf-8", "ETag": f'"{etag}"', "X-Repo-Commit": sha}

    @staticmethod
    def _expand(query: dict) -> list[str]:
        return query.get("expand", []) + query.get("expand[]", [])

    def _page_of(self, path: str, query: dict) -> int | None:
        if path != "/api/models":
            return None
        try:
            return self._offset(query) // self._size(query) + 1
        except ValueError:
            return None

    def _size(self, query: dict) -> int:
        return max(1, min(int(query.get("limit", [self.page_size])[0]), self.page_size))

    @staticmethod
    def _offset(query: dict) -> int:
        if "cursor" not in query:
            return 0
        return int(json.loads(base64.urlsafe_b64decode(query["cursor"][0]))["offset"])

    def _list(self, query: dict, raw_query: str) -> tuple[int, object, dict]:
        expand = self._expand(query)
        bad = [e for e in expand if e not in EXPAND_PROPERTIES or e in MODEL_INFO_ONLY]
        if bad:
            return 400, {"error": f'"expand" contains invalid value(s) for this route: {bad}'}, {}
        if expand and any(k in query for k in ("full", "config", "cardData")):
            return 400, {"error": '"expand" cannot be combined with full, config or cardData'}, {}
        sort = SORT_FIELDS.get(query.get("sort", ["trendingScore"])[0])
        if sort is None:
            return 400, {"error": f"invalid sort {query['sort'][0]!r}"}, {}
        try:
            offset, size = self._offset(query), self._size(query)
        except (ValueError, KeyError):
            return 400, {"error": "invalid cursor or limit"}, {}
        author, filters = query.get("author", [None])[0], query.get("filter", [])
        items = [
            m
            for m in self.models.values()
            if (author is None or m["author"] == author) and all(f in m.get("tags", []) for f in filters)
        ]
        items.sort(key=lambda m: (m.get(sort) or 0, m["_id"]), reverse=True)  # keyset order of the Hub
        page = [self._project(m, expand, LIST_DEFAULT_FIELDS) for m in items[offset : offset + size]]
        headers = {}
        if offset + size < len(items):
            cursor = base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode()
            params = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True) if k != "cursor"]
            headers["Link"] = f'<{self.url}/api/models?{urlencode(params + [("cursor", cursor)])}>; rel="next"'
        return 200, page, headers

    def _info(self, repo_id: str, query: dict) -> tuple[int, object, dict]:
        model = self.models.get(repo_id)
        if model is None:
            return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
        expand = self._expand(query)
        bad = [e for e in expand if e not in EXPAND_PROPERTIES]
        if bad:
            return 400, {"error": f'"expand" contains invalid value(s): {bad}'}, {}
        default = [k for k in model if k not in EXPAND_ONLY] + ["siblings"]
        answer = self._project(model, expand, default)
        kind = self.malformed.get(repo_id)
        if kind == "not_json":
            return 200, HTML, {"Content-Type": "text/html; charset=utf-8"}
        if kind == "no_sha":
            answer.pop("sha", None)
        if kind == "children_shape" and "childrenModelCount" in answer:
            answer["childrenModelCount"] = "lots"
        return 200, answer, {}

    def _project(self, model: dict, expand: list[str], default_fields) -> dict:
        fields = ["_id", "id", *expand] if expand else default_fields
        out = {}
        for name in fields:
            value = self._value(model, name)
            if value is not None:
                out[name] = value
        return out

    def _value(self, model: dict, name: str):
        if name == "childrenModelCount":
            return self.children.get(model["id"], self._derived_children(model["id"]))
        if name == "baseModels" and "baseModels" not in model:
            parents = [
                t.split(":", 2) for t in model.get("tags", []) if t.count(":") == 2 and t.startswith("base_model:")
            ]
            if not parents:
                return None
            relation = parents[0][1]
            return {
                "relation": relation,
                "models": [
                    {"_id": self.models.get(p, {}).get("_id", _hex(p, 24)), "id": p}
                    for _, rel, p in parents
                    if rel == relation
                ],
            }
        if name == "siblings":
            return model.get("siblings", [])
        return model.get(name)

    def _derived_children(self, repo_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for other in self.models.values():
            for tag in other.get("tags", []):
                parts = tag.split(":", 2)
                if len(parts) == 3 and parts[0] == "base_model" and parts[2] == repo_id:
                    counts[parts[1]] = counts.get(parts[1], 0) + 1
        return counts
