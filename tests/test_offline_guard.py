"""The suite itself refuses to leave the machine: only loopback is reachable from tests."""

from __future__ import annotations

import socket
import urllib.request

import pytest


def test_a_request_to_aws_fails_before_leaving() -> None:
    with pytest.raises(OSError, match="loopback only"):
        urllib.request.urlopen("https://dynamodb.us-east-1.amazonaws.com/", timeout=2)


def test_loopback_stays_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
