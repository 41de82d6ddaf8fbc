"""A local HTTP server on 127.0.0.1 that replays scripted responses.

Tests queue responses per path: real recorded bodies, 429 with Retry-After, 5xx, truncated bodies
(a Content-Length larger than what is sent), slow answers that trip the client's timeout and
trickled ones (a few bytes at a time) that only a whole-reply deadline stops. Every request is kept,
with its arrival time, so tests can assert on paging parameters and request rates.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None  # send only this many bytes of the body, but announce all
    trickle: float = 0.0  # seconds between chunks of `trickle_bytes`
    trickle_bytes: int = 16

    @classmethod
    def json(cls, body: bytes | str, status: int = 200) -> Reply:
        data = body.encode() if isinstance(body, str) else body
        return cls(status, data, {"Content-Type": "application/json"})

    @classmethod
    def xml(cls, body: bytes | str, status: int = 200) -> Reply:
        data = body.encode() if isinstance(body, str) else body
        return cls(status, data, {"Content-Type": "text/xml"})


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # arrival, as the server counts it


class ReplayServer:
    """Context manager: `with ReplayServer() as srv: srv.add('/api/v2/studies', Reply.json(...))`."""

    def __init__(self) -> None:
        self.queues: dict[str, deque[Reply]] = defaultdict(deque)
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def add(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self.queues[path].extend(replies)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            queue = self.queues.get(seen.path)
            if not queue:
                return Reply(404, b"no scripted reply for " + seen.path.encode())
            return queue.popleft() if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(parts.query, keep_blank_values=True)
                if body and self.command == "POST":
                    for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
                        query.setdefault(key, []).extend(values)
                reply = server._next(Seen(self.command, parts.path, query, body))
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                sent = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
                try:
                    self._write(sent, reply)
                    if reply.truncate_to is not None:
                        self.wfile.flush()
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _write(self, sent: bytes, reply: Reply) -> None:
                if not reply.trickle:
                    self.wfile.write(sent)
                    return
                for start in range(0, len(sent), reply.trickle_bytes):
                    self.wfile.write(sent[start: start + reply.trickle_bytes])
                    self.wfile.flush()
                    time.sleep(reply.trickle)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler
