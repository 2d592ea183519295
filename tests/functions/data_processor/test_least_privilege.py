"""The handler runs with exactly the inline policy the compute stack generates, and no more.

moto enforces IAM here: it checks the *actions* of the role's policy for every service, but the
*Resource* element only for S3 (it evaluates every other request against resource "*"). So the
resource scoping of the DynamoDB and Logs statements is proven by the stack tests
(tests/test_compute_stack.py), not by this one; the S3 scoping is proven here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws, settings
from moto.core.authorization import ActionAuthenticatorMixin
from trade_analytics.archive import Archive
from trade_analytics.processor import Processor
from trade_analytics.store import TradeStore

from synth.synthesize import synth_environment
from tests.support.data_processor import Cloud, handler, kinesis_event
from tests.support.moto_aws import BUCKET, QUEUE_URL, TABLE, create_resources


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    """The dev compute stack's role: trust policy and inline policy, from the synth."""
    compute = next(
        layer for layer in synth_environment("dev")["layers"] if layer["layer"] == "compute"
    )
    by_type = {r["type"]: r["inputs"] for r in compute["resources"]}
    return {
        "trust": by_type["aws:iam/role:Role"]["assumeRolePolicy"],
        "policy": json.loads(by_type["aws:iam/rolePolicy:RolePolicy"]["policy"]),
    }


def for_moto(policy: dict[str, Any]) -> dict[str, Any]:
    """The same grants, in the terms moto evaluates them in.

    - AWS authorises each Put of a TransactWriteItems as dynamodb:PutItem; moto checks the
      operation's own name, so that name is granted exactly where PutItem is.
    - Likewise AWS authorises SendMessageBatch as sqs:SendMessage (SQS developer guide, "Amazon
      SQS API permissions"); moto checks sqs:SendMessageBatch, granted where SendMessage is.
    - moto matches non-S3 requests against resource "*", which an ARN-scoped statement never
      matches; those statements are widened to "*" (S3 statements stay as generated).
    """
    translated: dict[str, Any] = json.loads(json.dumps(policy))
    for statement in translated["Statement"]:
        actions = statement["Action"]
        if "dynamodb:PutItem" in actions:
            statement["Action"] = [*actions, "dynamodb:TransactWriteItems"]
        if "sqs:SendMessage" in actions:
            statement["Action"] = [*actions, "sqs:SendMessageBatch"]
        if not all(action.startswith("s3:") for action in actions):
            statement["Resource"] = "*"
    return translated


def without(policy: dict[str, Any], action: str) -> dict[str, Any]:
    trimmed: dict[str, Any] = json.loads(json.dumps(policy))
    for statement in trimmed["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action]
    trimmed["Statement"] = [s for s in trimmed["Statement"] if s["Action"]]
    return trimmed


@pytest.fixture
def enforce(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set up as admin, then switch moto's IAM enforcement on for every later request."""
    with mock_aws():
        session = boto3.session.Session()
        create_resources(session.client("dynamodb"), session.client("s3"), session.client("sqs"))

        def as_role(trust: str, policy: dict[str, Any]) -> Processor:
            iam = session.client("iam")
            role = iam.create_role(RoleName="data-processor-role", AssumeRolePolicyDocument=trust)
            iam.put_role_policy(
                RoleName="data-processor-role",
                PolicyName="data-processor",
                PolicyDocument=json.dumps(policy),
            )
            credentials = session.client("sts").assume_role(
                RoleArn=role["Role"]["Arn"], RoleSessionName="lambda"
            )["Credentials"]
            monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
            monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
            scoped = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            return Processor(
                TradeStore(scoped.client("dynamodb"), TABLE, "dev"),
                Archive(scoped.client("s3"), BUCKET),
                "dev",
                handler.SETTINGS.window,
                queue=scoped.client("sqs"),
                failure_queue_url=QUEUE_URL,
            )

        yield (
            as_role,
            Cloud(session.client("dynamodb"), session.client("s3"), session.client("sqs")),
        )


BATCH = {
    "trades": [
        {"trade_id": f"LP-{i}", "amount": 10, "symbol": "LP", "price": 1, "quantity": 10}
        for i in range(5)
    ]
}


def test_generated_policy_is_enough(
    generated: dict[str, Any], enforce: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_role, cloud = enforce
    processor = as_role(generated["trust"], for_moto(generated["policy"]))
    assert processor.process(BATCH).response["counts"]["processed"] == 5
    assert processor.process(BATCH).response["counts"]["duplicates"] == 5
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))  # admin again
    assert len(cloud.objects()) == 1
    assert len(cloud.items()) == 6


@pytest.mark.parametrize(
    ("missing", "service"),
    [
        ("s3:PutObject", "s3"),
        ("dynamodb:TransactWriteItems", "dynamodb"),
    ],
)
def test_each_granted_action_is_needed(
    generated: dict[str, Any], enforce: Any, missing: str, service: str
) -> None:
    as_role, _ = enforce
    processor = as_role(generated["trust"], without(for_moto(generated["policy"]), missing))
    with pytest.raises(Exception, match=r"AccessDenied|not authorized"):
        processor.process(BATCH)


def test_s3_grant_is_scoped_to_objects_of_the_archive_bucket(
    generated: dict[str, Any], enforce: Any
) -> None:
    as_role, cloud = enforce
    cloud.s3.create_bucket(Bucket="some-other-bucket")
    processor = as_role(generated["trust"], for_moto(generated["policy"]))
    processor.archive.bucket = "some-other-bucket"
    with pytest.raises(Exception, match="AccessDenied"):
        processor.process(BATCH)


POISONED = kinesis_event([{"trade_id": "LP-K1", "amount": 1}, {"trade_id": "LP-K2", "amount": -1}])


def test_the_generated_policy_lets_the_stream_path_send_its_dead_letters(
    generated: dict[str, Any], enforce: Any
) -> None:
    as_role, _ = enforce
    processor = as_role(generated["trust"], for_moto(generated["policy"]))
    assert processor.process(POISONED).response == {"batchItemFailures": []}


def test_without_sqs_send_the_poison_record_is_failed_not_dropped(
    generated: dict[str, Any], enforce: Any
) -> None:
    as_role, _ = enforce
    processor = as_role(
        generated["trust"], for_moto(without(generated["policy"], "sqs:SendMessage"))
    )
    poisoned = POISONED["Records"][1]["kinesis"]["sequenceNumber"]
    assert processor.process(POISONED).response == {
        "batchItemFailures": [{"itemIdentifier": poisoned}]
    }
