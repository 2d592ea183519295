"""The smoke-record store: one record per environment and revision, beside its stacks."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from orchestration import smoke_records as records
from orchestration.engine import Deployment, StackRef
from shared.errors import PlatformError
from shared.layers import LAYERS
from tests.support.fake_engine import FakeEngine


def test_records_round_trip_per_revision_on_a_file_backend(tmp_path: Path) -> None:
    url = (tmp_path / "state").as_uri()
    record = records.SmokeRecord.now("staging", "a" * 40, True, "ok")
    records.save(url, lambda _options: None, record)
    assert records.load(url, lambda _options: None, "a" * 40) == record
    assert records.load(url, lambda _options: None, "b" * 40) is None
    stored = json.loads((tmp_path / "state" / records.RECORDS / f"{'a' * 40}.json").read_text())
    assert stored["passed"] is True and stored["at"].endswith("Z")


def test_a_later_record_of_the_same_revision_replaces_the_earlier_on_s3() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="state")
        url = "s3://state/trading-analytics/staging?region=us-east-1"
        failed = records.SmokeRecord.now("staging", "c" * 40, False, "boom")
        records.save(url, lambda _options: s3, failed)
        passed = records.SmokeRecord.now("staging", "c" * 40, True, "ok")
        records.save(url, lambda _options: s3, passed)
        assert records.load(url, lambda _options: s3, "c" * 40) == passed
        key = f"trading-analytics/staging/{records.RECORDS}/{'c' * 40}.json"
        assert s3.head_object(Bucket="state", Key=key)["ContentLength"] > 0


def test_a_backend_that_holds_no_records_is_refused_in_one_line() -> None:
    with pytest.raises(PlatformError, match="file:// or s3:// backends; gs://bucket/x is neither"):
        records.load("gs://bucket/x", lambda _options: None, "a" * 40)


def test_only_a_committed_revision_is_recordable() -> None:
    assert records.recordable("a" * 40)
    assert not records.recordable(f"{'a' * 40}-dirty")
    assert not records.recordable(None)


def _stacks() -> list[StackRef]:
    return [StackRef(layer, "staging", "file:///s") for layer in LAYERS.values()]


def test_deployed_is_the_one_revision_every_layer_runs() -> None:
    engine = FakeEngine()
    for stack in _stacks():
        engine.stacks[stack.name] = {}
        engine.histories[stack.name] = [Deployment("r2", "m"), Deployment("r1", "m")]
    assert records.deployed(engine, _stacks(), "staging").revision == "r2"
    engine.histories[_stacks()[2].name].insert(0, Deployment("r3", "m"))
    mixed = records.deployed(engine, _stacks(), "staging")
    assert mixed.revision is None
    assert mixed.why_not_one() == (
        "the layers of staging run different revisions (network r2, data r2, compute r3)"
    )


def test_a_layer_never_deployed_means_no_revision_and_says_which() -> None:
    engine = FakeEngine()
    first = _stacks()[0]
    engine.stacks[first.name] = {}
    engine.histories[first.name] = [Deployment("r1", "m")]
    found = records.deployed(engine, _stacks(), "staging")
    assert found.revision is None
    assert found.why_not_one() == "data, compute of staging has no recorded deployment revision"
