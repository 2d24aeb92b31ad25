"""A fake livebench.ai: a real HTTP server on 127.0.0.1 serving `/table_<date>.csv` and `/categories_<date>.json`.

    with FakeLiveBench({"table_2024_08_31.csv": b"model,a\\n..."}) as lb:
        ...  # LIVEBENCH_BASE_URL=lb.url; lb.requests records what arrived; lb.files can change between runs

Unknown paths answer 404 (or, with `html_for_missing=True`, 200 with an HTML page: what a single-page
site's catch-all route does). Faults as in fake_hub: `lb.add_fault(kind, path_prefix="/", times=1, **kw)`,
kinds "503" (or any status code as a string; optional retry_after=<s>) and "hang" (seconds=<s>).
Same server plumbing as tests/fakes/fake_hub.py.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

from tests.fakes.fake_hub import HTML, SeenRequest, _Fault, _Handler, _Server

CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json"}


class FakeLiveBench:
    def __init__(self, files: dict[str, bytes | str] | None = None, html_for_missing: bool = False):
        self.files = {k: v.encode() if isinstance(v, str) else v for k, v in (files or {}).items()}
        self.html_for_missing = html_for_missing
        self.requests: list[SeenRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self.url = ""

    def __enter__(self) -> FakeLiveBench:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self  # the shared handler calls server.hub._handle
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def add_fault(self, kind: str, path_prefix: str = "/", times: int = 1, **kw) -> None:
        if kind != "hang" and not kind.isdigit():
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.append(_Fault(kind, path_prefix, times, None, kw))

    def requests_to(self, path_prefix: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def _handle(self, h) -> None:
        split = urlsplit(h.path)
        with self._lock:
            self.requests.append(
                SeenRequest(h.command, split.path, parse_qs(split.query), {k.lower(): v for k, v in h.headers.items()})
            )
            fault = next((f for f in self._faults if split.path.startswith(f.path_prefix)), None)
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
        if fault and fault.kind == "hang":
            self._stop.wait(fault.kw.get("seconds", 5.0))
            h.close_connection = True
            return
        headers: dict[str, str] = {}
        name = split.path.lstrip("/")
        if fault:
            status, body, headers["Content-Type"] = int(fault.kind), b"Service Unavailable", "text/plain"
            if fault.kw.get("retry_after") is not None:
                headers["Retry-After"] = str(fault.kw["retry_after"])
        elif name in self.files:
            status, body = 200, self.files[name]
            headers["Content-Type"] = CONTENT_TYPES.get(name[name.rfind(".") :], "application/octet-stream")
        elif self.html_for_missing:
            status, body, headers["Content-Type"] = 200, HTML, "text/html; charset=utf-8"
        else:
            status, body, headers["Content-Type"] = 404, b"Not Found", "text/plain"
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
