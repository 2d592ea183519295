"""The handler the compute stack deploys accepts the description's test payload."""

from __future__ import annotations

import handler


def test_description_payload_is_processed() -> None:
    result = handler.handler({"trade_data": {"trade_id": "TEST123", "amount": 1000}}, None)
    assert result["status"] == "ok"


def test_event_without_trade_data_is_an_error_not_an_exception() -> None:
    assert handler.handler({"nothing": 1}, None)["status"] == "error"
