"""One deploy, destroy, rollback or promote per environment at a time, across machines: a lock
object beside its stacks, created atomically (docs/deploying.md, "One run per environment")."""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from orchestration.state_objects import StateObject, StateS3, object_at
from shared.errors import PlatformError

LOCK_NAME = ".trading-analytics-lock.json"
STALE_ENV = "TRADING_ANALYTICS_LOCK_STALE_HOURS"
DEFAULT_STALE_HOURS = 6.0  # longer than any run of this platform takes


@dataclass(frozen=True)
class Holder:
    user: str
    host: str
    pid: int
    command: str
    environment: str
    since: str  # ISO-8601, UTC

    @classmethod
    def current(cls, command: str, environment: str, now: datetime | None = None) -> Holder:
        moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        return cls(
            user=_user(),
            host=socket.gethostname(),
            pid=os.getpid(),
            command=command,
            environment=environment,
            since=moment.isoformat().replace("+00:00", "Z"),
        )

    def age(self, now: datetime) -> timedelta:
        return now - datetime.fromisoformat(self.since.replace("Z", "+00:00"))

    def describe(self, now: datetime) -> str:
        minutes = int(self.age(now).total_seconds() // 60)
        return (
            f"{self.user}@{self.host} (pid {self.pid}) running {self.command} "
            f"since {self.since} ({minutes} min ago)"
        )


class LockedError(PlatformError):
    """Someone else holds the environment."""


def lock_at(backend_url: str, s3_client: StateS3) -> StateObject | None:
    """The environment's lock object; None where this backend cannot hold one atomically."""
    return object_at(backend_url, s3_client, LOCK_NAME)


def stale_after(environ: Mapping[str, str] = os.environ) -> timedelta:
    raw = environ.get(STALE_ENV, "")
    try:
        hours = float(raw) if raw else DEFAULT_STALE_HOURS
    except ValueError:
        raise PlatformError(f"{STALE_ENV}={raw!r} is not a number of hours") from None
    if hours <= 0:
        raise PlatformError(f"{STALE_ENV}={raw!r} must be greater than 0")
    return timedelta(hours=hours)


@contextmanager
def environment_lock(
    store: StateObject | None,
    holder: Holder,
    log: Callable[[str], None],
    *,
    force: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Iterator[None]:
    """Hold the environment for the body; refuse at once when someone else holds it."""
    if store is None:
        log("note: this backend cannot hold an environment lock; runs are not serialised")
        yield
        return
    if force:
        previous = store.read()
        if previous is not None:
            log(f"removing the lock of {_holder(previous).describe(now())} ({store.where})")
            store.delete()
    body = json.dumps(asdict(holder), sort_keys=True)
    if not store.create(body):
        raise LockedError(_refusal(store, holder, now()))
    try:
        yield
    finally:
        if store.read() == body:  # still ours: not force-unlocked and retaken meanwhile
            store.delete()


def _refusal(store: StateObject, me: Holder, now: datetime) -> str:
    text = store.read()
    if text is None:  # released between our create and our read: let the user just rerun
        return f"{me.environment} was locked a moment ago; run the command again"
    other = _holder(text)
    stale = other.age(now) > stale_after()
    hint = f"nox -s {me.command} -- {me.environment} --force-unlock --confirm {me.environment}"
    return (
        f"{me.environment} is locked by {other.describe(now)} ({store.where})"
        + ("; the lock is older than the stale age, probably left by a killed run" if stale else "")
        + f"; when it is certainly not running: {hint}"
    )


def _holder(text: str) -> Holder:
    try:
        return Holder(**json.loads(text))
    except (ValueError, TypeError):
        return Holder("unknown", "unknown", 0, "unknown", "unknown", "1970-01-01T00:00:00Z")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
