"""Local receivers the delivery tests send to: an SMTP server (aiosmtpd) and an HTTP webhook
receiver, both on 127.0.0.1, recording exactly what they received."""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.sink.lock:
            self.sink.messages.append(
                {
                    "to": list(envelope.rcpt_tos),
                    "subject": message["Subject"],
                    "message_id": message["Message-ID"],
                    "key": message["X-RSOITS-Idempotency-Key"],
                    "body": message.get_payload(decode=True).decode(),
                }
            )
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server in a thread."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def keys(self) -> list[str]:
        with self.lock:
            return [m["key"] for m in self.messages]


class HttpReceiver:
    """A webhook receiver in a thread. ``statuses`` is a list of status codes to answer in turn
    (then 200 forever)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver would
            # The status line and headers go out before the body, in a second small write: with
            # Nagle's algorithm on, that write waits for the client's delayed ACK (about 40 ms).
            disable_nagle_algorithm = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def accepted(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["status"] < 300]

    @property
    def keys(self) -> list[str]:
        return [r["headers"].get("Idempotency-Key") for r in self.accepted]

    def payload(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])


def serve() -> None:
    """Run an SMTP sink and an HTTP receiver in this process (``ReceiverProcess`` starts it):
    print their addresses as one JSON line, then answer each line on stdin ("stats") with
    the idempotency keys received so far; end at "stop" or end of input."""
    import sys

    with SmtpSink() as smtp, HttpReceiver() as http:
        print(json.dumps({"smtp_port": smtp.port, "http_url": http.url}), flush=True)
        for line in sys.stdin:
            print(json.dumps({"emails": smtp.keys, "hooks": http.keys}), flush=True)
            if line.strip() == "stop":
                break


class ReceiverProcess:
    """The SMTP sink and the HTTP receiver in a process of their own, so that they share no
    interpreter (and no GIL) with the process that sends or the one that measures."""

    def __init__(self) -> None:
        import subprocess
        import sys
        from pathlib import Path

        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.notifications.receivers import serve; serve()"],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        addresses = json.loads(self.process.stdout.readline())
        self.smtp_port: int = addresses["smtp_port"]
        self.http_url: str = addresses["http_url"]

    def _ask(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stats(self) -> dict:
        """``{"emails": [...], "hooks": [...]}``: the idempotency keys received, in order."""
        return self._ask("stats")

    def __enter__(self) -> ReceiverProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            try:
                self._ask("stop")
            finally:
                self.process.stdin.close()
                self.process.wait(timeout=30)
