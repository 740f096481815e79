"""The HTTP shell: a stdlib ThreadingHTTPServer that turns bytes into `Request`s for `api.handle`.

One thread per connection (latency and hang faults sleep per request, so requests must run in
parallel). ``serve(sim)`` starts it in a background thread and returns a handle with
``base_url``, ``root_url`` and ``stop()``; it is also a context manager.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .api import API_PREFIX
from .envelope import Request, error
from .simulator import Simulator

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 10 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients reuse connections
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms delayed-ACK stall
    server: _SimulatorHTTPServer

    def _dispatch(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            size = int(length) if length else 0
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_BODY_BYTES:
            self._send(error(400, "Bad Request", ["Missing, invalid or too large Content-Length."]))
            return
        body = self.rfile.read(size) if size else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command, path=self.path, query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()}, body=body, cancel=self.server.stopping,
        )
        try:
            response = self.server.simulator.handle(request)
        except Exception:  # a bug in the simulator must still produce an envelope, not a dropped line
            logger.exception("simulator failed on %s %s", self.command, self.path)
            response = error(500, "Internal Server Error", ["The simulator failed to handle this request."])
        self._send(response)

    def _send(self, response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during a simulated hang).
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        logger.debug("%s %s", self.address_string(), format % args)


class _SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, simulator: Simulator):
        self.simulator = simulator
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        logger.debug("connection error from %s", client_address, exc_info=True)


class SimulatorServer:
    """A running simulator HTTP server."""

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0):
        self.simulator = simulator
        self._server = _SimulatorHTTPServer((host, port), simulator)
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"logikal-simulator:{self.port}", daemon=True)
        self._thread.start()
        simulator.start_edits()

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + API_PREFIX

    def stop(self) -> None:
        self.simulator.stop_edits()
        self._server.stopping.set()  # ends latency sleeps and simulated hangs at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Start `sim` as a real HTTP server in a background thread (port 0: any free port)."""
    return SimulatorServer(sim, host, port)
