"""Provider-call conformance: every synthesized resource type has the calls terraform-provider-aws
makes for it (tests/emulator/conformance/table.py), and replaying them against the emulator with
each environment's synthesized inputs succeeds and reads back what was sent (issue 21, item 4)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from synth.synthesize import synth_environment
from tests.emulator.conformance import replay, table
from tests.support.emulator import Clients, running_emulator

pytestmark = pytest.mark.slow

ENVIRONMENTS = ("dev", "staging", "production")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    """An emulator of this module's own: the replays create the platform's real names, which
    the other emulator tests create for themselves."""
    with running_emulator(tmp_path_factory.mktemp("conformance")) as emulator:
        yield emulator.client


@functools.cache
def _document(environment: str) -> dict[str, Any]:
    return synth_environment(environment)


def _types(environment: str) -> set[str]:
    return {r["type"] for layer in _document(environment)["layers"] for r in layer["resources"]}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_synthesized_type_has_an_entry(environment: str) -> None:
    missing = sorted(
        t for t in _types(environment) if t not in table.TABLE and t not in table.NON_AWS
    )
    assert not missing, f"no conformance entry for {missing}: add one to conformance/table.py"


def test_each_entry_names_its_provider_file_and_calls() -> None:
    for type_, entry in table.TABLE.items():
        assert entry.source.startswith("internal/service/") and entry.source.endswith(".go"), type_
        assert entry.calls, type_
    # Nothing both AWS and not, and no entry for a type no environment synthesizes.
    synthesized = set().union(*(_types(e) for e in ENVIRONMENTS))
    assert not table.NON_AWS & set(table.TABLE)
    assert set(table.TABLE) <= synthesized, set(table.TABLE) - synthesized


def test_an_unknown_type_fails_naming_it(fresh: Clients) -> None:
    document = {
        "environment": "dev",
        "region": "us-east-1",
        "layers": [
            {
                "layer": "network",
                "resources": [{"type": "aws:newservice/thing:Thing", "name": "t", "inputs": {}}],
                "outputs": {},
            }
        ],
    }
    with pytest.raises(AssertionError, match="aws:newservice/thing:Thing"):
        replay.replay_document(document, fresh)


def test_the_comparison_reports_a_dropped_and_a_changed_property() -> None:
    sent = {"LoggingConfig": {"LogGroup": "/x"}, "Timeout": 60}
    with pytest.raises(AssertionError, match=r"fn: GetFunction dropped LoggingConfig"):
        table.compare("fn", "GetFunction", sent, {"Timeout": 60})
    with pytest.raises(AssertionError, match=r"fn: GetFunction returned Timeout=3, want 60"):
        table.compare(
            "fn", "GetFunction", sent, {"LoggingConfig": {"LogGroup": "/x"}, "Timeout": 3}
        )
    table.compare("fn", "GetFunction", sent, {**sent, "Extra": 1})  # extra read-back is no drift


def test_policies_compare_as_documents_not_text() -> None:
    # Key order and IAM's URL-encoding are not drift (verify.SuppressEquivalentPolicyDiffs).
    sent = '{"Version": "2012-10-17", "Statement": []}'
    table.compare(
        "r",
        "GetRole",
        {"P": table._policy(sent)},
        {
            "P": table._policy(
                "%7B%22Statement%22%3A%20%5B%5D%2C%22Version%22%3A%222012-10-17%22%7D"
            )
        },
    )
    with pytest.raises(AssertionError):
        table.compare(
            "r", "GetRole", {"P": table._policy(sent)}, {"P": table._policy('{"Version": "2008"}')}
        )


def test_fake_ids_are_replaced_inside_strings_and_json() -> None:
    real = {
        "vpc-fake": "vpc-real",
        "arn:aws:kms:r:1:key/k1": "arn:aws:kms:r:1:key/real",
        "k1": "real",
    }
    value = {"vpcId": "vpc-fake", "policy": '{"Resource": "arn:aws:kms:r:1:key/k1"}', "ids": ["k1"]}
    assert replay.substitute(value, real) == {
        "vpcId": "vpc-real",
        "policy": '{"Resource": "arn:aws:kms:r:1:key/real"}',
        "ids": ["real"],
    }


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_provider_s_calls_replay_against_the_emulator(environment: str, fresh: Clients) -> None:
    if environment == "dev":
        # The interface the local end-to-end test calls: synthesizes, then replays.
        replayed = replay.replay_environment(environment, fresh)
    else:
        replayed = replay.replay_document(_document(environment), fresh)
    aws = [
        r
        for layer in _document(environment)["layers"]
        for r in layer["resources"]
        if r["type"] in table.TABLE
    ]
    assert set(replayed.ids) == {r["name"] for r in aws}
    assert replayed.calls >= 2 * len(aws)  # at least a create and a read each
    print(f"{environment}: {len(aws)} resources, {replayed.calls} calls")
    # The outputs carry the emulator's ids, not the fake cloud's.
    network, data = replayed.outputs["network"], replayed.outputs["data"]
    assert network["vpc_id"] == replayed.ids["network-vpc"]
    assert data["failure_queue_url"].startswith("http://127.0.0.1:")
    compute = replayed.outputs["compute"]
    assert fresh("lambda").get_function(FunctionName=compute["lambda_function_name"])
