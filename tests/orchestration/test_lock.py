"""One run that changes an environment at a time: the lock in the state backend."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestration.lock import (
    LOCK_NAME,
    Holder,
    LockedError,
    environment_lock,
    lock_at,
)
from orchestration.state_objects import FileObject, S3Object
from tests.support.cli_harness import Harness

NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


def _lock_file(tmp_path: Path, environment: str = "dev") -> Path:
    return tmp_path / "state" / "trading-analytics" / environment / LOCK_NAME


def _hold(path: Path, since: datetime = NOW) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = Holder("alice", "desk-7", 4242, "deploy", "dev", since.isoformat()[:19] + "Z")
    path.write_text(json.dumps(holder.__dict__))


def test_a_second_deploy_of_one_environment_exits_at_once_naming_the_holder(
    harness: Harness, tmp_path: Path
) -> None:
    _hold(_lock_file(tmp_path), datetime.now(timezone.utc))
    started = time.monotonic()
    result = harness.run("deploy", "dev")
    assert time.monotonic() - started < 1.0
    assert result.code == 1
    assert result.err.startswith("error: dev is locked by alice@desk-7 (pid 4242) running deploy")
    assert "--force-unlock --confirm dev" in result.err
    assert "stale" not in result.err
    assert harness.engine.calls == []
    assert _lock_file(tmp_path).exists(), "someone else's lock is never removed"


def test_concurrent_deploys_one_wins_one_is_refused(harness: Harness, tmp_path: Path) -> None:
    harness.engine.delay = 0.3
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(harness.run("deploy", "dev")))
    first.start()
    deadline = time.monotonic() + 5
    while not _lock_file(tmp_path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = harness.run("deploy", "dev")
    first.join()
    assert results[0].code == 0
    assert second.code == 1 and "dev is locked by" in second.err and "running deploy" in second.err
    assert not _lock_file(tmp_path).exists(), "released when the run ended"


def test_other_environments_and_previews_are_not_held_up(harness: Harness, tmp_path: Path) -> None:
    _hold(_lock_file(tmp_path))
    assert harness.run("deploy", "staging").code == 0
    assert harness.run("preview", "dev").code == 0


def test_the_lock_is_released_on_failure_and_on_ctrl_c(harness: Harness, tmp_path: Path) -> None:
    harness.engine.fail = {"network"}
    assert harness.run("deploy", "dev").code == 1
    assert not _lock_file(tmp_path).exists()
    harness.engine.fail = set()

    def interrupted(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    harness.engine.up = interrupted  # type: ignore[method-assign]
    assert harness.run("deploy", "dev").code == 130
    assert not _lock_file(tmp_path).exists()


def test_an_old_lock_is_reported_stale_and_force_unlock_needs_confirmation(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADING_ANALYTICS_LOCK_STALE_HOURS", "1")
    _hold(_lock_file(tmp_path), datetime.now(timezone.utc) - timedelta(hours=3))
    refused = harness.run("destroy", "dev")
    assert "older than the stale age" in refused.err
    unconfirmed = harness.run("deploy", "dev", "--force-unlock")
    assert unconfirmed.code == 1
    assert "add --confirm dev to proceed" in unconfirmed.err
    assert _lock_file(tmp_path).exists()
    forced = harness.run("deploy", "dev", "--force-unlock", "--confirm", "dev")
    assert forced.code == 0, forced.err
    assert "removing the lock of alice@desk-7 (pid 4242) running deploy" in forced.out
    assert not _lock_file(tmp_path).exists()


def test_dry_runs_take_no_lock(harness: Harness, tmp_path: Path) -> None:
    _hold(_lock_file(tmp_path))
    assert harness.run("deploy", "dev", "--dry-run").code == 0


def test_file_locks_are_exclusive(tmp_path: Path) -> None:
    first, second = FileObject(tmp_path / "x" / LOCK_NAME), FileObject(tmp_path / "x" / LOCK_NAME)
    assert first.create("a") and not second.create("b")
    assert second.read() == "a"


def test_s3_locks_are_conditional_puts() -> None:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="state")
        store = lock_at(
            "s3://state/trading-analytics/prod?region=us-east-1", lambda _options: client
        )
        assert isinstance(store, S3Object)
        assert store.key == f"trading-analytics/prod/{LOCK_NAME}"
        holder = Holder.current("deploy", "production", NOW)
        logged: list[str] = []
        with environment_lock(store, holder, logged.append, now=lambda: NOW):
            with (
                pytest.raises(LockedError, match="production is locked by"),
                environment_lock(
                    store,
                    Holder.current("destroy", "production", NOW),
                    logged.append,
                    now=lambda: NOW,
                ),
            ):
                pass
            assert store.read() is not None
        assert store.read() is None


def test_backends_without_atomic_create_say_they_are_not_locked() -> None:
    assert lock_at("https://api.pulumi.com", lambda _options: None) is None
    logged: list[str] = []
    with environment_lock(None, Holder.current("deploy", "dev", NOW), logged.append):
        pass
    assert logged == ["note: this backend cannot hold an environment lock; runs are not serialised"]
