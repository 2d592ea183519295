"""The one boto3 client factory of orchestration: credentials, region and endpoint said once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

Clients = Callable[[str], Any]  # service name -> boto3 client


def clients(
    *,
    region: str | None = None,
    endpoint: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> Clients:
    """Clients of one session: the default credential chain unless `credentials` are given."""
    key, secret = credentials or (None, None)
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name=region
    )

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    return client
