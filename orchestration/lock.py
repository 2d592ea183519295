"""One deploy, destroy or rollback per environment at a time, across machines.

Pulumi locks each stack during an update, not a run over several stacks: two people deploying
the same environment would interleave their layers. So a run that changes an environment first
creates a lock object in that environment's state backend, beside its stacks, holding who,
where, when and which command; it is removed on every exit path (an error, Ctrl-C included,
since it is released in a `finally`). Creation is atomic where the backend allows it:
- file:// backends: the lock file is created with O_CREAT|O_EXCL (POSIX: fails if it exists);
- s3:// backends: PutObject with `If-None-Match: *` (S3 conditional writes: 412 if it exists);
- gs://, azblob:// and Pulumi Cloud: not locked here (the run says so); use the backend's own
  controls, or a file/S3 backend, if several people deploy one environment.
A second run fails at once with the holder's details; a lock older than the stale age is
reported as probably stale, never broken silently: `--force-unlock --confirm ENV` removes it.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

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


class LockStore(Protocol):
    @property
    def where(self) -> str: ...

    def create(self, body: str) -> bool:
        """Create the lock atomically; False when it already exists."""

    def put(self, body: str) -> None:
        """Write the object, replacing what is there (records beside the lock use this)."""

    def read(self) -> str | None: ...

    def delete(self) -> None: ...


@dataclass
class FileLock:
    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def create(self, body: str) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w") as handle:
            handle.write(body)
        return True

    def put(self, body: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(body)
        temporary.replace(self.path)  # whole or not at all (rename is atomic on POSIX)

    def read(self) -> str | None:
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return None

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class S3Lock:
    client: Any
    bucket: str
    key: str

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def create(self, body: str) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=body.encode(), IfNoneMatch="*"
            )
        except self.client.exceptions.ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status in {409, 412}:  # 409: a concurrent conditional write is in flight
                return False
            raise
        return True

    def put(self, body: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body.encode())

    def read(self) -> str | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return body.decode()

    def delete(self) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key)


def store_for(
    backend_url: str, s3_client: Callable[[Mapping[str, str]], Any], name: str = LOCK_NAME
) -> LockStore | None:
    """Where an environment's lock (or another object `name` beside its stacks) lives; None
    where this backend cannot hold one atomically."""
    parts = urlsplit(backend_url)
    if parts.scheme == "file":
        return FileLock(Path(unquote(parts.path)) / name)
    if parts.scheme == "s3":
        options = {k: v[0] for k, v in parse_qs(parts.query).items()}
        key = f"{parts.path.strip('/')}/{name}".lstrip("/")
        return S3Lock(s3_client(options), parts.netloc, key)
    return None


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
    store: LockStore | None,
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


def _refusal(store: LockStore, me: Holder, now: datetime) -> str:
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
