"""Loopback servers for download tests: one that serves a folder, one that accepts connections
and never answers. Both listen on 127.0.0.1 only and stop by themselves."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def serving(folder: Path, requests: list | None = None):
    """Serve ``folder`` over HTTP; yields the base URL. Each request is appended to
    ``requests`` when given."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            if requests is not None:
                requests.append(args)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def silent(path: str = "/data.zip", lifetime: float = 60):
    """Accept connections and never answer (for at most ``lifetime`` seconds); yields a URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop, held = threading.Event(), []

    def accept():
        deadline = time.monotonic() + lifetime
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{path}"
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        listener.close()


def refused_url(path: str = "/a") -> str:
    """A URL on a loopback port where nothing listens: connections are refused at once."""
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    return f"http://127.0.0.1:{port}{path}"


def mirror_path(folder: Path, url: str) -> Path:
    """Where a mirror served from ``folder`` keeps ``url`` (``HARNESS_MIRROR``'s layout)."""
    parts = urllib.parse.urlparse(url)
    return Path(folder) / parts.netloc / parts.path.lstrip("/")


def publish(folder: Path, url: str, content: bytes) -> None:
    """Put ``content`` where a mirror served from ``folder`` answers ``url``."""
    path = mirror_path(folder, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


@contextmanager
def mirror(folder: Path, monkeypatch, requests: list | None = None):
    """Serve ``folder`` and route every fetch through it (``HARNESS_MIRROR``), online."""
    folder.mkdir(parents=True, exist_ok=True)
    with serving(folder, requests) as url:
        monkeypatch.setenv("HARNESS_MIRROR", url)
        monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
        yield url
