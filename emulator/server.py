"""The emulator's own process: `python -m emulator.server --port P --work-dir DIR`.

moto's WSGI application (the one `moto_server` serves) with the gaps filled (`gaps`), each
DynamoDB request atomic (`dynamodb`), functions run on invoke (`functions`) and Kinesis event
source mappings polled (`streams`). emulator/process.py starts it and records it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from emulator import functions, gaps, streams
from emulator.dynamodb import SerialDynamoDB, install_snapshot_once

HOST = "127.0.0.1"  # loopback only: the emulator is the user's own


def serve(port: int, work_dir: Path) -> None:
    endpoint = f"http://{HOST}:{port}"
    # moto builds the URLs it hands out (queue URLs, the functions' endpoint) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    gaps.install()
    install_snapshot_once()
    functions.install(endpoint, work_dir)
    app = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
    server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
    stop = threading.Event()
    pollers = streams.start(stop, functions.invoke)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)  # ends serve_forever in this, the main thread

    signal.signal(signal.SIGTERM, terminate)
    try:
        server.serve_forever()
    finally:
        stop.set()
        pollers.join(timeout=10)
        functions.shut_down()  # the warm execution environments: nothing of the emulator stays
        server.server_close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    options = parser.parse_args(argv)
    serve(options.port, options.work_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
