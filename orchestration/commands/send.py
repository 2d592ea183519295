"""send: well-formed trades on the environment's stream, routed as the producers route them."""

from __future__ import annotations

import argparse
import uuid
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from trade_analytics.validation import SYMBOL

from orchestration.commands.outputs import merged
from orchestration.context import Run
from orchestration.options import SendOptions
from orchestration.smoke import put_trades, require, trade
from shared import outputs

MAX_COUNT = 500  # a sample, not a load test (benchmarks/ is for that)


# argparse types: a bad value is argparse's one-line usage error, naming what is allowed.


def count_arg(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number from 1 to {MAX_COUNT}")
    return int(text)


def symbol_arg(text: str) -> str:
    if not SYMBOL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r}: expected an upper-case ticker such as BRK.B")
    return text


def amount_arg(text: str) -> int | float:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(0)
    if not number.is_finite() or number <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number greater than 0")
    # A JSON number: the function refuses one sent as a string.
    return int(number) if number == number.to_integral_value() else float(text)


def arguments(sub: argparse.ArgumentParser) -> None:
    """send's own options (the parser is cli.py's)."""
    sub.add_argument("--count", type=count_arg, default=1, help=f"trades (1 to {MAX_COUNT})")
    sub.add_argument("--symbol", type=symbol_arg, default="AAPL", help="a ticker such as AAPL")
    sub.add_argument("--amount", type=amount_arg, default=1000, help="each trade's amount")


def run(run: Run, options: SendOptions) -> int:
    engine, target = run.connect()
    found = merged(run, engine)
    require(found, (outputs.TRADE_STREAM_NAME, outputs.DYNAMODB_TABLE_NAME))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    tag = uuid.uuid4().hex[:8]
    trades = [
        {**trade(f"send-{tag}-{n}", options.symbol, now), "amount": options.amount}
        for n in range(1, options.count + 1)
    ]
    put_trades(run.runtime.clients_for(target), found, trades)
    stream = found[outputs.TRADE_STREAM_NAME]
    run.say(f"sent {options.count} trade(s) of {options.symbol} to {stream} (ids send-{tag}-N)")
    day = now.date().isoformat()
    run.say(
        f"see them (the stream is asynchronous: seconds): daily_rollup(client, "
        f"{found[outputs.DYNAMODB_TABLE_NAME]!r}, {options.symbol!r}, {day!r}) in "
        "trade_analytics.queries, or the ROLLUP items of the table; "
        f"nox -s smoke -- {run.environment} checks the whole path"
    )
    return 0
