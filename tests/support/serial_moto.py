"""moto_server on loopback with every DynamoDB request atomic, as DynamoDB makes it.

`python -m tests.support.serial_moto PORT` serves moto's own WSGI application (the one
`moto_server` runs) behind the emulator's `SerialDynamoDB` (emulator/dynamodb.py says why), and
nothing else of the emulator's: the concurrency tests judge the function against moto's
DynamoDB alone.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from emulator.dynamodb import SerialDynamoDB
from emulator.process import answers, free_port
from shared.layers import REPO_ROOT
from tests.support import moto_aws


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
