"""A tiny HTTP server between the client and the simulator that rewrites chosen answers.

The network edge of the bad-payload tests: the simulator answers as the API documents, and this
proxy hands the client a body with a field of the wrong type, a field missing, or a listing
that is not a list — what a different server version or a broken gateway might send.
"""

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from syncapp.simulator.api import API_PREFIX

FORWARDED_HEADERS = ("Authorization", "Content-Type", "Accept")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_ProxyServer"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(self.server.target_host, self.server.target_port, timeout=30)
        try:
            headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers.get(name)}
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            status, content_type, payload = answer.status, answer.getheader("Content-Type", ""), answer.read()
        finally:
            upstream.close()
        rule = self.server.rule_for(self.command, self.path)
        if rule is not None and status == 200:
            payload = json.dumps(rule(json.loads(payload))).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target_root_url: str):
        parts = urlsplit(target_root_url)
        self.target_host, self.target_port = parts.hostname, parts.port
        self.rules: dict[tuple[str, str], object] = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def rule_for(self, method: str, path: str):
        api_path = path.split("?", 1)[0][len(API_PREFIX):]
        with self.lock:
            return self.rules.get((method, api_path))


class RewritingProxy:
    def __init__(self, target_root_url: str):
        self._server = _ProxyServer(target_root_url)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{API_PREFIX}"

    def rewrite(self, endpoint: str, change) -> None:
        """From now on, pass the JSON body of each 200 answer of `endpoint` ("GET /elevations") through `change`."""
        method, path = endpoint.split(" ", 1)
        with self._server.lock:
            self._server.rules[(method, path)] = change

    def clear(self) -> None:
        with self._server.lock:
            self._server.rules.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
