"""Hypothesis strategies for trades: valid ones, and batches of priced ones on one symbol."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st
from trade_analytics.validation import TradeWindow

NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
# Wide enough for every timestamp the strategies make; the window's own tests narrow it.
WINDOW = TradeWindow(max_age=timedelta(days=3650), max_ahead=timedelta(minutes=5))

trade_ids = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True)
symbols = st.from_regex(r"[A-Z][A-Z0-9]{0,9}", fullmatch=True)
positive = st.one_of(
    st.integers(min_value=1, max_value=10**12),
    st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False),
)
valid_trades = st.fixed_dictionaries(
    {"trade_id": trade_ids, "amount": positive},
    optional={
        "symbol": symbols,
        "side": st.sampled_from(["BUY", "SELL"]),
        "price": positive,
        "quantity": positive,
        "venue": st.text(max_size=20),
    },
)
priced_trades = st.lists(
    st.fixed_dictionaries(
        {"trade_id": trade_ids, "amount": positive, "symbol": st.just("PROP")},
        optional={"price": positive, "quantity": positive},
    ),
    min_size=1,
    max_size=30,
)
