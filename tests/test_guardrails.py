"""Every rule passes on the synthesized stacks, and every rule can fail: a broken copy per rule."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.guardrails.report import evaluate, main, render
from shared.guardrails.rules import RULES
from tests.conftest import Document, resources

Mutation = Callable[[Document], None]


def _inputs(doc: Document, type_token: str) -> dict[str, Any]:
    found: dict[str, Any] = resources(doc, type_token)[0]["inputs"]
    return found


def _edit_policy(
    doc: Document, type_token: str, edit: Callable[[dict[str, Any]], None], key: str = "policy"
) -> None:
    # The compute layer's when it has one (the function's role and policy), else the only one.
    found = resources(doc, type_token, "compute") or resources(doc, type_token)
    inputs = found[0]["inputs"]
    document = json.loads(inputs[key])
    edit(document)
    inputs[key] = json.dumps(document)


def _drop(doc: Document, type_token: str) -> None:
    for layer in doc["layers"]:
        layer["resources"] = [r for r in layer["resources"] if r["type"] != type_token]


def _add(doc: Document, layer_name: str, type_token: str, inputs: dict[str, Any]) -> None:
    layer = next(entry for entry in doc["layers"] if entry["layer"] == layer_name)
    layer["resources"].append({"type": type_token, "name": "intruder", "inputs": inputs})


def _first_statement(document: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = document["Statement"][0]
    return statement


BREAKS: dict[str, Mutation] = {
    "s3-public-access-block": lambda d: _inputs(
        d, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    ).update(restrictPublicBuckets=False),
    "s3-default-encryption": lambda d: _drop(
        d, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ),
    "s3-tls-only": lambda d: _edit_policy(
        d,
        "aws:s3/bucketPolicy:BucketPolicy",
        lambda p: _first_statement(p).update(Condition={}),
    ),
    "s3-versioning-production": lambda d: _inputs(
        d, "aws:s3/bucketVersioning:BucketVersioning"
    ).update(versioningConfiguration={"status": "Suspended"}),
    "s3-acls-disabled": lambda d: _inputs(
        d, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    ).update(rule={"objectOwnership": "ObjectWriter"}),
    "s3-abort-incomplete-uploads": lambda d: _inputs(
        d, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).update(
        rules=[
            r
            for r in _inputs(d, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[
                "rules"
            ]
            if "abortIncompleteMultipartUpload" not in r
        ]
    ),
    "dynamodb-pitr": lambda d: _inputs(d, "aws:dynamodb/table:Table").update(
        pointInTimeRecovery={"enabled": False}
    ),
    "dynamodb-encryption": lambda d: _inputs(d, "aws:dynamodb/table:Table").update(
        serverSideEncryption={"enabled": False}
    ),
    "dynamodb-deletion-protection": lambda d: _inputs(d, "aws:dynamodb/table:Table").update(
        deletionProtectionEnabled=False
    ),
    "dynamodb-autoscaling": lambda d: _drop(d, "aws:appautoscaling/target:Target"),
    "lambda-private-subnets": lambda d: _inputs(d, "aws:lambda/function:Function").pop("vpcConfig"),
    "lambda-arm64": lambda d: _inputs(d, "aws:lambda/function:Function").update(
        architectures=["x86_64"]
    ),
    "lambda-tracing": lambda d: _inputs(d, "aws:lambda/function:Function").update(
        tracingConfig={"mode": "PassThrough"}
    ),
    "lambda-reserved-concurrency": lambda d: _inputs(d, "aws:lambda/function:Function").pop(
        "reservedConcurrentExecutions"
    ),
    "lambda-dead-letter-queue": lambda d: _inputs(d, "aws:sqs/queue:Queue").pop("kmsMasterKeyId"),
    "kms-key": lambda d: _inputs(d, "aws:kms/key:Key").update(enableKeyRotation=False),
    "kms-key-policy": lambda d: _edit_policy(
        d, "aws:kms/key:Key", lambda p: p["Statement"][1].update(Principal="*")
    ),
    "encryption-customer-key": lambda d: _inputs(d, "aws:lambda/function:Function").pop(
        "kmsKeyArn"
    ),
    "lambda-log-group": lambda d: _drop(d, "aws:cloudwatch/logGroup:LogGroup"),
    "iam-no-wildcard-actions": lambda d: _edit_policy(
        d,
        "aws:iam/rolePolicy:RolePolicy",
        lambda p: _first_statement(p).update(Action=["dynamodb:*"]),
    ),
    "iam-scoped-resources": lambda d: _edit_policy(
        d,
        "aws:iam/rolePolicy:RolePolicy",
        lambda p: _first_statement(p).update(Resource="*"),
    ),
    "iam-trust-one-service": lambda d: _edit_policy(
        d,
        "aws:iam/role:Role",
        lambda p: _first_statement(p).update(Principal={"AWS": "*"}),
        key="assumeRolePolicy",
    ),
    "iam-no-admin-policies": lambda d: _add(
        d,
        "compute",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    "network-no-internet-path": lambda d: _add(
        d, "network", "aws:ec2/internetGateway:InternetGateway", {"vpcId": "vpc-1"}
    ),
    "network-flow-logs": lambda d: _drop(d, "aws:ec2/flowLog:FlowLog"),
    "network-default-sg-closed": lambda d: _inputs(
        d, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ).update(ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
    "network-no-open-cidrs": lambda d: _inputs(
        d, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    ).update(cidrIpv4="0.0.0.0/0"),
    "logs-retention": lambda d: _inputs(d, "aws:cloudwatch/logGroup:LogGroup").update(
        retentionInDays=365
    ),
    "tags-required": lambda d: _inputs(d, "aws:ec2/vpc:Vpc")["tags"].pop("Layer"),
    "names-convention": lambda d: _inputs(d, "aws:dynamodb/table:Table").update(name="analytics"),
}


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


def test_report_names_the_rule_and_exits_non_zero_on_a_violation(
    synthesized: dict[str, Document],
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    BREAKS["lambda-tracing"](broken)
    text = render({"production": evaluate(broken)})
    assert "lambda-tracing" in text and "FAIL (1)" in text
    assert "production: lambda-tracing: compute/data-processor-function" in text
    assert "CKV_AWS_338: log retention below one year" in text


def test_the_function_role_may_trust_lambda_only(synthesized: dict[str, Document]) -> None:
    broken = copy.deepcopy(synthesized["dev"])
    _edit_policy(
        broken,
        "aws:iam/role:Role",
        lambda p: _first_statement(p).update(Principal={"Service": "vpc-flow-logs.amazonaws.com"}),
        key="assumeRolePolicy",
    )
    [finding] = evaluate(broken)["iam-trust-one-service"]
    assert "allowed: lambda.amazonaws.com" in finding.message


def test_policy_command_exits_1_naming_the_rule(
    synthesized: dict[str, Document], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    BREAKS["s3-tls-only"](broken)
    (tmp_path / "production.json").write_text(json.dumps(broken))
    assert main(["production"], directory=tmp_path) == 1
    out = capsys.readouterr().out
    assert "s3-tls-only" in out and "production: s3-tls-only: data/archive-bucket" in out
    (tmp_path / "production.json").write_text(json.dumps(synthesized["production"]))
    assert main(["production"], directory=tmp_path) == 0


def test_readme_documents_every_rule_and_waiver() -> None:
    from shared.guardrails.waivers import WAIVERS
    from shared.layers import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    for rule in RULES:
        assert f"| `{rule.id}` |" in readme, rule.id
    for check in WAIVERS:
        assert f"- `{check}`:" in readme, check
