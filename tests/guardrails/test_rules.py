"""Every rule passes on the synthesized stacks, and every rule can fail: broken copies per rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from guardrails.report import evaluate
from guardrails.rules import RULES
from shared import iam
from tests.support.breaks import (
    ALSO_FLAGGED,
    BREAKS,
    REMOVALS,
    Mutation,
    drop,
    edit_policy,
    first_statement,
)
from tests.support.documents import Document


def _cases() -> list[Any]:
    """Every break as a test case named "<rule id>/edit" or "<rule id>/removal"."""
    cases = []
    for kind, breaks in (("edit", BREAKS), ("removal", REMOVALS)):
        for rule_id, mutate in sorted(breaks.items()):
            name = f"{rule_id}/{kind}"
            cases.append(pytest.param(rule_id, name, mutate, id=name))
    return cases


CASES = _cases()


def _flagged(document: Document) -> set[str]:
    return {rule for rule, found in evaluate(document).items() if found}


def test_every_rule_has_a_deliberate_break() -> None:
    ids = {rule.id for rule in RULES}
    assert set(BREAKS) == ids
    assert set(REMOVALS) <= ids
    # A misspelt key in ALSO_FLAGGED would otherwise excuse nothing, silently.
    assert set(ALSO_FLAGGED) <= {case.id for case in CASES}
    assert set().union(*ALSO_FLAGGED.values()) <= ids


def test_every_rule_passes_on_every_environment(synthesized: dict[str, Document]) -> None:
    for environment, doc in synthesized.items():
        failing = {rule: found for rule, found in evaluate(doc).items() if found}
        assert failing == {}, environment


@pytest.mark.parametrize(("rule_id", "name", "mutate"), CASES)
def test_each_rule_flags_its_break_and_only_it(
    synthesized: dict[str, Document], rule_id: str, name: str, mutate: Mutation
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    mutate(broken)
    assert _flagged(broken) == {rule_id, *ALSO_FLAGGED.get(name, set())}


def test_every_rule_a_missing_resource_trips_has_a_removal_break(
    synthesized: dict[str, Document],
) -> None:
    """Dropping any one resource type from a layer trips only rules with a removal break."""
    doc = synthesized["production"]
    for entry in doc["layers"]:
        for type_token in sorted({r["type"] for r in entry["resources"]}):
            broken = copy.deepcopy(doc)
            drop(broken, type_token, entry["layer"])
            flagged = _flagged(broken)
            proven = set(REMOVALS).union(
                *(ALSO_FLAGGED.get(f"{rule}/removal", set()) for rule in flagged)
            )
            assert flagged <= proven, (entry["layer"], type_token)


def test_the_function_role_may_trust_lambda_only(synthesized: dict[str, Document]) -> None:
    broken = copy.deepcopy(synthesized["dev"])
    edit_policy(
        broken,
        "aws:iam/role:Role",
        lambda p: first_statement(p).update(Principal={"Service": "vpc-flow-logs.amazonaws.com"}),
        key="assumeRolePolicy",
    )
    [finding] = evaluate(broken)["iam-trust-one-service"]
    assert "allowed: lambda.amazonaws.com" in finding.message


def test_eni_writes_on_star_are_flagged_as_unscoped(synthesized: dict[str, Document]) -> None:
    # The policy as it was before the ENI writes were scoped: all six actions on "*".
    broken = copy.deepcopy(synthesized["dev"])

    def widen(document: dict[str, Any]) -> None:
        document["Statement"] = [
            s for s in document["Statement"] if not str(s["Action"]).count("ec2:")
        ] + [{"Effect": "Allow", "Action": sorted(iam.ENI_ACTIONS), "Resource": "*"}]

    edit_policy(broken, "aws:iam/rolePolicy:RolePolicy", widen)
    messages = [f.message for f in evaluate(broken)["iam-scoped-resources"]]
    assert sorted(m.split()[1] for m in messages) == sorted(
        set(iam.ENI_ACTIONS) - set(iam.ENI_DESCRIBE_ACTIONS)
    )
