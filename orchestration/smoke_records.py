"""The smoke-record store: one result per environment and git revision, beside its stacks.

`smoke` writes, `promote` reads the source environment's record (docs/deploying.md, promotion).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from orchestration.engine import Engine, StackRef
from orchestration.revisions import DIRTY
from orchestration.state_objects import StateObject, StateS3, object_at
from shared.errors import PlatformError

RECORDS = ".trading-analytics-smoke"


@dataclass(frozen=True)
class SmokeRecord:
    environment: str
    revision: str
    passed: bool
    at: str  # ISO-8601, UTC
    detail: str

    @classmethod
    def now(cls, environment: str, revision: str, passed: bool, detail: str) -> SmokeRecord:
        moment = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return cls(environment, revision, passed, moment.replace("+00:00", "Z"), detail)

    def describe(self) -> str:
        verdict = "passed" if self.passed else f"failed ({self.detail})"
        return f"smoke of {self.revision[:12]} in {self.environment} {verdict} at {self.at}"


@dataclass(frozen=True)
class Deployed:
    """Which revision each layer of an environment last deployed successfully (None: never)."""

    environment: str
    revisions: Mapping[str, str | None]

    @property
    def revision(self) -> str | None:
        """The one revision every layer runs, or None when they differ or one is missing."""
        found = set(self.revisions.values())
        return found.pop() if len(found) == 1 and None not in found else None

    def why_not_one(self) -> str:
        """Why there is no single revision, for an error message."""
        never = [layer for layer, rev in self.revisions.items() if rev is None]
        if never:
            return f"{', '.join(never)} of {self.environment} has no recorded deployment revision"
        shown = ", ".join(f"{layer} {rev[:12]}" for layer, rev in self.revisions.items() if rev)
        return f"the layers of {self.environment} run different revisions ({shown})"


def deployed(engine: Engine, stacks: Sequence[StackRef], environment: str) -> Deployed:
    revisions: dict[str, str | None] = {}
    for stack in stacks:
        history = engine.history(stack) if engine.exists(stack) else []
        revisions[stack.layer.name] = history[0].revision if history else None
    return Deployed(environment, revisions)


def _store(backend_url: str, s3: StateS3, revision: str) -> StateObject:
    store = object_at(backend_url, s3, f"{RECORDS}/{revision}.json")
    if store is None:
        raise PlatformError(
            f"smoke results are kept beside the state in file:// or s3:// backends; {backend_url} "
            "is neither, so promotion cannot see what passed"
        )
    return store


def save(backend_url: str, s3: StateS3, record: SmokeRecord) -> None:
    _store(backend_url, s3, record.revision).put(json.dumps(asdict(record)))


def load(backend_url: str, s3: StateS3, revision: str) -> SmokeRecord | None:
    body = _store(backend_url, s3, revision).read()
    return SmokeRecord(**json.loads(body)) if body else None


def recordable(revision: str | None) -> bool:
    """Only a clean, committed revision can be promoted, so only its results are kept."""
    return bool(revision) and not str(revision).endswith(DIRTY)
