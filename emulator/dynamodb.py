"""DynamoDB in the emulator as DynamoDB behaves: each request atomic, transactions affordable.

`SerialDynamoDB`: a DynamoDB request holds a process-wide lock while moto handles it. DynamoDB
applies each request atomically (transactions are serializable: the DynamoDB developer guide,
"Isolation levels for DynamoDB transactions"); moto's threaded server does not. Its
`DynamoDBBackend.transact_write_items` deep-copies the tables a transaction touches before
applying it and, when the transaction is cancelled, puts that copy back
(`self.tables[table_name] = original_table_state[table_name]`), erasing whatever other threads
wrote meanwhile. With the lock, concurrent writers (the function's invocations, in parallel on
the local target) see DynamoDB's semantics and only those. Other services run concurrently.

`install_snapshot_once`: moto 5 deep-copies the whole table for every item of a transaction (to
roll back on failure), which makes a 100-item transaction on a 1,000-item table take seconds. The
copies it takes within one call are of the same, unchanged table, so one copy per table is the
same snapshot. A cost fix only: what the transaction does is moto's code.
"""

from __future__ import annotations

import copy
import functools
import threading
import types
from collections.abc import Callable, Iterable
from typing import Any

import moto.dynamodb.models as dynamodb_models

DYNAMODB_TARGET = "DynamoDB_20120810."
_original = dynamodb_models.DynamoDBBackend.transact_write_items


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


def install_snapshot_once() -> None:
    if getattr(dynamodb_models.DynamoDBBackend.transact_write_items, "_snapshot_once", False):
        return

    @functools.wraps(_original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: dict[int, Any] = {}

        def deepcopy_once(value: Any, memo: Any = None) -> Any:
            if id(value) not in snapshots:
                snapshots[id(value)] = copy.deepcopy(value, memo)
            return snapshots[id(value)]

        dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy_once)  # type: ignore[attr-defined,assignment]
        try:
            _original(self, transact_items)
        finally:
            dynamodb_models.copy = copy  # type: ignore[attr-defined]

    transact_write_items._snapshot_once = True  # type: ignore[attr-defined]
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
