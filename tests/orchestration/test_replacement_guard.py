"""The replacement guard: production's stateful resources are not replaced or deleted unnamed."""

from __future__ import annotations

import pytest

from orchestration.engine import Step
from orchestration.replacement_guard import dangerous
from tests.support.cli_harness import Harness

TABLE = "urn:pulumi:production::trading-data::aws:dynamodb/table:Table::analytics-table"
REPLACE_TABLE = [
    Step("create-replacement", TABLE, "aws:dynamodb/table:Table", ("name", "hashKey")),
    Step("replace", TABLE, "aws:dynamodb/table:Table", ("name", "hashKey")),
    Step("delete-replaced", TABLE, "aws:dynamodb/table:Table", ("name", "hashKey")),
    Step("update", "urn:pulumi:production::trading-data::aws:kms/key:Key::k", "aws:kms/key:Key"),
]


@pytest.fixture
def production(harness: Harness) -> Harness:
    assert harness.run("deploy", "production").code == 0
    harness.engine.calls.clear()
    harness.engine.would["data"] = REPLACE_TABLE
    return harness


def test_a_deploy_that_would_replace_the_production_table_is_refused(production: Harness) -> None:
    result = production.run("deploy", "production")
    assert result.code == 1
    assert result.err == (
        "error: refusing to deploy: it would replace or delete stateful resources: "
        f"{TABLE} (create-replacement, forced by name, hashKey); "
        f"if that is intended, run again with --allow-replace {TABLE}\n"
    )
    assert production.engine.operations("up") == []
    assert "replacement guard: previewing organization/trading-data/production" in result.out


def test_allow_replace_naming_it_lets_the_deploy_proceed(production: Harness) -> None:
    result = production.run("deploy", "production", "--allow-replace", TABLE)
    assert result.code == 0, result.err
    # network and data run concurrently (either may start first); compute waits for both.
    layers = [c.layer for c in production.engine.operations("up")]
    assert sorted(layers[:2]) == ["data", "network"] and layers[2:] == ["compute"]


def test_allowing_another_resource_is_not_enough(production: Harness) -> None:
    other = "urn:pulumi:production::trading-data::aws:s3/bucket:Bucket::archive-bucket"
    assert production.run("deploy", "production", "--allow-replace", other).code == 1


def test_unprotected_environments_are_not_guarded(harness: Harness) -> None:
    harness.run("deploy", "dev")
    harness.engine.would["data"] = REPLACE_TABLE
    assert harness.run("deploy", "dev").code == 0
    assert harness.engine.operations("preview") == []


def test_updates_in_place_and_stateless_replacements_pass() -> None:
    subnet = "urn:pulumi:production::trading-network::aws:ec2/subnet:Subnet::private-1"
    steps = [
        Step("update", TABLE, "aws:dynamodb/table:Table"),
        Step("replace", subnet, "aws:ec2/subnet:Subnet", ("cidrBlock",)),
    ]
    assert dangerous(steps, allowed=[]) == []


def test_a_rollback_that_would_replace_the_table_is_refused(production: Harness) -> None:
    production.engine.would["data"] = REPLACE_TABLE
    result = production.run("rollback", "production", "data", "--to", "HEAD")
    assert result.code == 1
    assert "refusing to roll back: it would replace or delete stateful resources" in result.err
    assert production.engine.operations("up") == []
