"""checkov over the Terraform-plan export: it reads every resource, and it can fail.

These run checkov itself (from its own virtualenv): `nox -s scan` runs them with `-m checkov`.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardrails.scan import READ_PREFIX, ScanResult, checkov_report, scan
from guardrails.terraform import exported_resources
from shared import iam
from shared.errors import PlatformError
from tests.support.breaks import drop, inputs_of
from tests.support.documents import Document, resources

pytestmark = pytest.mark.checkov

MAIN_TYPES = (
    "aws_vpc",
    "aws_security_group",
    "aws_cloudwatch_log_group",
    "aws_kms_key",
    "aws_dynamodb_table",
    "aws_s3_bucket",
    "aws_kinesis_stream",
    "aws_sqs_queue",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_lambda_function",
)


def test_checkov_reads_every_exported_resource_and_passes_each_main_type(
    synthesized: dict[str, Document], tmp_path: Path
) -> None:
    for environment, document in synthesized.items():
        result = scan(environment, document, tmp_path)
        assert result.read == result.exported == len(exported_resources(document))
        assert result.unwaived == [], environment
        assert set(MAIN_TYPES) <= result.passed_types, set(MAIN_TYPES) - result.passed_types
        assert (tmp_path / f"{environment}.checkov.json").exists()


def _open_ssh(doc: Document) -> None:
    group = resources(doc, "aws:ec2/securityGroup:SecurityGroup", "network")[0]["inputs"]
    group["ingress"] = [
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
    ]


def _admin(doc: Document) -> None:
    policy = resources(doc, "aws:iam/rolePolicy:RolePolicy", "compute")[0]["inputs"]
    policy["policy"] = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", '
        '"Resource": "*"}]}'
    )


def _eni_writes_on_star(doc: Document) -> None:
    # The function's policy as it was before its ENI writes were scoped.
    inputs = resources(doc, "aws:iam/rolePolicy:RolePolicy", "compute")[0]["inputs"]
    document = json.loads(inputs["policy"])
    document["Statement"] = [
        s for s in document["Statement"] if "ec2:" not in json.dumps(s["Action"])
    ] + [{"Effect": "Allow", "Action": sorted(iam.ENI_ACTIONS), "Resource": "*"}]
    inputs["policy"] = json.dumps(document)


def _no_kms(type_token: str, key: str, layer: str) -> Callable[[Document], None]:
    return lambda doc: resources(doc, type_token, layer)[0]["inputs"].pop(key)


BREAKS: dict[str, tuple[Callable[[Document], Any], set[str]]] = {
    "public bucket": (
        lambda d: inputs_of(d, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").update(
            blockPublicAcls=False, blockPublicPolicy=False, restrictPublicBuckets=False
        ),
        {"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_56"},
    ),
    "no point-in-time recovery": (
        lambda d: inputs_of(d, "aws:dynamodb/table:Table").update(
            pointInTimeRecovery={"enabled": False}
        ),
        {"CKV_AWS_28"},
    ),
    "no key rotation": (
        lambda d: inputs_of(d, "aws:kms/key:Key").update(enableKeyRotation=False),
        {"CKV_AWS_7"},
    ),
    "function outside the VPC": (
        lambda d: inputs_of(d, "aws:lambda/function:Function").pop("vpcConfig"),
        {"CKV_AWS_117"},
    ),
    "security group open to 0.0.0.0/0": (_open_ssh, {"CKV_AWS_24"}),
    "admin policy": (_admin, {"CKV_AWS_63", "CKV_AWS_355", "CKV_AWS_290"}),
    "ENI writes on '*'": (_eni_writes_on_star, {"CKV_AWS_290", "CKV_AWS_355"}),
    "unencrypted queue": (_no_kms("aws:sqs/queue:Queue", "kmsMasterKeyId", "data"), {"CKV_AWS_27"}),
    "no flow logs": (lambda d: drop(d, "aws:ec2/flowLog:FlowLog"), {"CKV2_AWS_11"}),
}


@pytest.fixture(scope="module")
def clean(synthesized: dict[str, Document], tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return scan("production", synthesized["production"], tmp_path_factory.mktemp("clean"))


@pytest.mark.parametrize("property_broken", sorted(BREAKS))
def test_a_broken_copy_makes_checkov_fail(
    synthesized: dict[str, Document], clean: ScanResult, tmp_path: Path, property_broken: str
) -> None:
    mutate, expected = BREAKS[property_broken]
    broken = copy.deepcopy(synthesized["production"])
    mutate(broken)
    result = scan("production", broken, tmp_path)
    failed = {f.check for f in result.unwaived}
    assert expected <= failed, (property_broken, failed)
    assert not expected & {f.check for f in clean.findings}, "the clean copy fails these already"
    assert not result.ok


# checkov's AWS secret key (common/util/secrets.py), which CKV_AWS_45 matches each of the
# function's environment variables against, checkov's `__file__` (the plan's real path) included.
SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")


def _secret_shaped(base: Path, tail: str) -> Path:
    """A directory under `base` whose path followed by `tail` ends in exactly 40 key characters.

    Its name starts with "_", outside the key's characters, so the run is the padding plus `tail`.
    """
    directory = base.resolve() / ("_" + "t" * (40 - len(tail)))
    assert SECRET_KEY.search(f"{directory}{tail}."), "the padding is wrong"
    return directory


def test_a_clone_path_shaped_like_an_aws_secret_key_does_not_fail_the_scan(
    synthesized: dict[str, Document], tmp_path: Path
) -> None:
    # The clone as at /srv/repos/trading: "<clone>/build/scan/production" is 40 key characters.
    scan_dir = _secret_shaped(tmp_path, "/build/scan/production") / "build" / "scan"
    result = scan("production", synthesized["production"], scan_dir)
    assert "CKV_AWS_45" not in {f.check for f in result.findings}
    assert result.ok, result.unwaived
    # The report names the plan kept, not the copy checkov read.
    text = (scan_dir / "production.checkov.json").read_text()
    assert f"{Path(tempfile.gettempdir()).resolve()}/{READ_PREFIX}" not in text
    assert {c["file_abs_path"] for c in json.loads(text)["results"]["failed_checks"]} == {
        str(scan_dir / "production.plan.json")
    }
    # The scan before the copy, checkov reading the plan where it lies, took the path for a key.
    in_place = checkov_report(scan_dir / "production.plan.json")
    assert [
        (c["check_id"], c["resource"], c["check_result"]["evaluated_keys"])
        for c in in_place["results"]["failed_checks"]
        if c["check_id"] == "CKV_AWS_45"
    ] == [
        (
            "CKV_AWS_45",
            "aws_lambda_function.compute_data_processor_function",
            ["environment/[0]/variables/[0]/__file__"],
        )
    ]


def test_a_temporary_directory_shaped_like_an_aws_secret_key_is_refused(
    synthesized: dict[str, Document], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # checkov's copy is <TMPDIR>/checkov-XXXXXXXX/<env>.plan.json: "<TMPDIR>/checkov" is the run.
    temporary = _secret_shaped(tmp_path, "/checkov")
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    with pytest.raises(PlatformError, match="AWS secret key"):
        scan("production", synthesized["production"], tmp_path / "scan")
