"""The function's configuration, read once per container from its environment variables.

The compute stack sets every variable from the environment matrix; there are no defaults here,
so a function deployed without one fails its start naming it, instead of running on a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from trade_analytics.validation import TradeWindow

REQUIRED = (
    "TABLE_NAME",
    "BUCKET_NAME",
    "ENVIRONMENT",
    "FAILURE_QUEUE_URL",
    "TRADE_MAX_AGE_HOURS",
    "TRADE_MAX_AHEAD_SECONDS",
)


class ConfigurationError(RuntimeError):
    """The deployment is wrong (not the event): fail the container's start, loudly."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    bucket_name: str
    environment: str
    # Where stream records that can never be processed go, with the reason (see streams.py).
    failure_queue_url: str
    window: TradeWindow

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        missing = [name for name in REQUIRED if not environ.get(name, "").strip()]
        if missing:
            raise ConfigurationError(
                f"missing environment variable {', '.join(missing)}; the compute stack sets "
                f"{', '.join(REQUIRED)}"
            )
        return cls(
            table_name=environ["TABLE_NAME"].strip(),
            bucket_name=environ["BUCKET_NAME"].strip(),
            environment=environ["ENVIRONMENT"].strip(),
            failure_queue_url=environ["FAILURE_QUEUE_URL"].strip(),
            window=TradeWindow(
                max_age=timedelta(hours=_positive(environ, "TRADE_MAX_AGE_HOURS")),
                max_ahead=timedelta(seconds=_positive(environ, "TRADE_MAX_AHEAD_SECONDS")),
            ),
        )


def _positive(environ: Mapping[str, str], name: str) -> int:
    value = environ[name].strip()
    if not value.isdigit() or int(value) == 0:
        raise ConfigurationError(f"{name} must be a whole number greater than 0, not {value!r}")
    return int(value)
