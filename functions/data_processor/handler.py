"""Lambda entry point for the data processor (minimal; the full processor is its own issue)."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    trade = event.get("trade_data") if isinstance(event, dict) else None
    if not isinstance(trade, dict):
        return {"status": "error", "error": "event must be an object with 'trade_data'"}
    return {"status": "ok", "processed": 1}
