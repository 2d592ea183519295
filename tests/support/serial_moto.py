"""moto_server on loopback with every DynamoDB request atomic, as DynamoDB makes it.

`python -m tests.support.serial_moto PORT` serves moto's own WSGI application (the one
`moto_server` runs) with one change: a DynamoDB request holds a process-wide lock while moto
handles it. Why: DynamoDB applies each request atomically (transactions are serializable, see
the DynamoDB developer guide, "Isolation levels for DynamoDB transactions"), but moto's threaded
server does not. Its `DynamoDBBackend.transact_write_items` deep-copies the tables a transaction
touches before applying it and, when the transaction is cancelled, puts that copy back
(`self.tables[table_name] = original_table_state[table_name]`), erasing whatever other threads
wrote to the table meanwhile. Concurrency tests against the unlocked server lose writes that
DynamoDB would keep; with the lock they see DynamoDB's semantics and only its semantics.
Requests to other services (S3, SQS) run concurrently, as moto serves them.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from orchestration.emulator import answers, free_port
from shared.layers import REPO_ROOT
from tests.support import moto_aws

DYNAMODB_TARGET = "DynamoDB_20120810."


class SerialDynamoDB:
    """WSGI middleware: DynamoDB requests one at a time, everything else as it comes."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.dynamodb_requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET):
            return self.app(environ, start_response)
        with self.lock:
            self.dynamodb_requests += 1
            # The body is produced inside the lock: moto does its work while building it.
            return list(self.app(environ, start_response))


def serve(port: int, host: str = "127.0.0.1") -> None:
    moto_aws.install()  # one table snapshot per transaction instead of one per item
    app = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    server.serve_forever()


@contextmanager
def serial_moto_server() -> Iterator[str]:
    """Run the server in a child process on a free loopback port; yield its URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.serial_moto", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not answers(url):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the serialised moto server did not start on 127.0.0.1")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
