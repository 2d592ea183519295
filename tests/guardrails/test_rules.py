"""Every rule passes on the synthesized stacks, and every rule can fail: a broken copy per rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from guardrails.report import evaluate
from guardrails.rules import RULES
from shared import iam
from tests.support.breaks import BREAKS, edit_policy, first_statement
from tests.support.documents import Document


def test_every_rule_has_a_deliberate_break() -> None:
    assert set(BREAKS) == {rule.id for rule in RULES}


def test_every_rule_passes_on_every_environment(synthesized: dict[str, Document]) -> None:
    for environment, doc in synthesized.items():
        failing = {rule: found for rule, found in evaluate(doc).items() if found}
        assert failing == {}, environment


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_each_rule_flags_its_break_and_only_it(
    synthesized: dict[str, Document], rule_id: str
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    BREAKS[rule_id](broken)
    found = evaluate(broken)
    assert found[rule_id], f"{rule_id} did not flag its break"
    assert all(f.message for f in found[rule_id])


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
