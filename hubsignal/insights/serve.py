"""Serve the report folder on 127.0.0.1 (never another interface) until interrupted."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


def serve(folder: Path, port: int = 8765) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
