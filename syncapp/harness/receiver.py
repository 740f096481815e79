"""A local HTTP receiver for webhooks (tests and the webhooks benchmark): records every POST, answers as told."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float  # time.time() on arrival


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Answers for the next requests, in order: a status, or (status, {header: value}); then 200.
    answers: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"received {len(self.received)} webhook(s) of {count} within {timeout} s")


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with receiver.lock:
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                                  time.time()))
                answer = receiver.answers.pop(0) if receiver.answers else 200
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # quiet
            pass

    return Handler


class serve_receiver:
    """Context manager: a Receiver listening on 127.0.0.1 (a free port) until the block ends."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host

    def __enter__(self) -> Receiver:
        self.receiver = Receiver(url="")
        self.server = ThreadingHTTPServer((self.host, 0), _handler(self.receiver))
        self.receiver.url = f"http://{self.host}:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.receiver

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False
