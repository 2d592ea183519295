"""Deliberately broken copies of a synth document per guardrail rule: proof each rule can fail.

BREAKS edits a value for every rule; REMOVALS drops the resource a rule requires, for every rule
that requires one. Each break trips its own rule and no other, except as ALSO_FLAGGED declares
(keyed by break name: "<rule id>/edit" or "<rule id>/removal").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.support.documents import Document, resources

Mutation = Callable[[Document], None]


def inputs_of(doc: Document, type_token: str) -> dict[str, Any]:
    found: dict[str, Any] = resources(doc, type_token)[0]["inputs"]
    return found


def edit_policy(
    doc: Document, type_token: str, edit: Callable[[dict[str, Any]], None], key: str = "policy"
) -> None:
    # The compute layer's when it has one (the function's role and policy), else the only one.
    found = resources(doc, type_token, "compute") or resources(doc, type_token)
    inputs = found[0]["inputs"]
    document = json.loads(inputs[key])
    edit(document)
    inputs[key] = json.dumps(document)


def drop(doc: Document, type_token: str, layer_name: str | None = None) -> None:
    for layer in doc["layers"]:
        if layer_name in {None, layer["layer"]}:
            layer["resources"] = [r for r in layer["resources"] if r["type"] != type_token]


def add(doc: Document, layer_name: str, type_token: str, inputs: dict[str, Any]) -> None:
    layer = next(entry for entry in doc["layers"] if entry["layer"] == layer_name)
    layer["resources"].append({"type": type_token, "name": "intruder", "inputs": inputs})


def first_statement(document: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = document["Statement"][0]
    return statement


BREAKS: dict[str, Mutation] = {
    "s3-public-access-block": lambda d: inputs_of(
        d, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    ).update(restrictPublicBuckets=False),
    # A configuration without a default rule.
    "s3-default-encryption": lambda d: inputs_of(
        d, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).update(rules=[]),
    "s3-tls-only": lambda d: edit_policy(
        d,
        "aws:s3/bucketPolicy:BucketPolicy",
        lambda p: first_statement(p).update(Condition={}),
    ),
    "s3-versioning-production": lambda d: inputs_of(
        d, "aws:s3/bucketVersioning:BucketVersioning"
    ).update(versioningConfiguration={"status": "Suspended"}),
    "s3-acls-disabled": lambda d: inputs_of(
        d, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    ).update(rule={"objectOwnership": "ObjectWriter"}),
    "s3-abort-incomplete-uploads": lambda d: inputs_of(
        d, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).update(
        rules=[
            r
            for r in inputs_of(
                d, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
            )["rules"]
            if "abortIncompleteMultipartUpload" not in r
        ]
    ),
    "dynamodb-pitr": lambda d: inputs_of(d, "aws:dynamodb/table:Table").update(
        pointInTimeRecovery={"enabled": False}
    ),
    # Only the flag: dropping the key ARN as well would trip encryption-customer-key.
    "dynamodb-encryption": lambda d: inputs_of(d, "aws:dynamodb/table:Table")[
        "serverSideEncryption"
    ].update(enabled=False),
    "dynamodb-deletion-protection": lambda d: inputs_of(d, "aws:dynamodb/table:Table").update(
        deletionProtectionEnabled=False
    ),
    "stateful-protection": lambda d: resources(d, "aws:dynamodb/table:Table")[0]["options"].update(
        retainOnDelete=False
    ),
    # The read target scales an index, not the table.
    "dynamodb-autoscaling": lambda d: inputs_of(d, "aws:appautoscaling/target:Target").update(
        scalableDimension="dynamodb:index:ReadCapacityUnits"
    ),
    "alarms-notify": lambda d: resources(d, "aws:cloudwatch/metricAlarm:MetricAlarm")[0][
        "inputs"
    ].update(alarmActions=[]),
    "lambda-private-subnets": lambda d: inputs_of(d, "aws:lambda/function:Function").pop(
        "vpcConfig"
    ),
    "lambda-arm64": lambda d: inputs_of(d, "aws:lambda/function:Function").update(
        architectures=["x86_64"]
    ),
    "lambda-tracing": lambda d: inputs_of(d, "aws:lambda/function:Function").update(
        tracingConfig={"mode": "PassThrough"}
    ),
    "lambda-reserved-concurrency": lambda d: inputs_of(d, "aws:lambda/function:Function").pop(
        "reservedConcurrentExecutions"
    ),
    "lambda-dead-letter-queue": lambda d: resources(d, "aws:sqs/queue:Queue", "compute")[0][
        "inputs"
    ].pop("kmsMasterKeyId"),
    "kms-key": lambda d: inputs_of(d, "aws:kms/key:Key").update(enableKeyRotation=False),
    "kms-key-policy": lambda d: edit_policy(
        d, "aws:kms/key:Key", lambda p: p["Statement"][1].update(Principal="*")
    ),
    "encryption-customer-key": lambda d: inputs_of(d, "aws:lambda/function:Function").pop(
        "kmsKeyArn"
    ),
    # The function logs to a group its stack does not create.
    "lambda-log-group": lambda d: inputs_of(d, "aws:lambda/function:Function")[
        "loggingConfig"
    ].update(logGroup="/aws/lambda/data-processor"),
    # A mapping whose failed batches would be retried until the records expire.
    "lambda-stream-mapping": lambda d: inputs_of(
        d, "aws:lambda/eventSourceMapping:EventSourceMapping"
    ).update(maximumRetryAttempts=-1),
    "kinesis-stream": lambda d: inputs_of(d, "aws:kinesis/stream:Stream").update(shardCount=1000),
    "iam-no-wildcard-actions": lambda d: edit_policy(
        d,
        "aws:iam/rolePolicy:RolePolicy",
        lambda p: first_statement(p).update(Action=["dynamodb:*"]),
    ),
    "iam-scoped-resources": lambda d: edit_policy(
        d,
        "aws:iam/rolePolicy:RolePolicy",
        lambda p: first_statement(p).update(Resource="*"),
    ),
    "iam-trust-one-service": lambda d: edit_policy(
        d,
        "aws:iam/role:Role",
        lambda p: first_statement(p).update(Principal={"AWS": "*"}),
        key="assumeRolePolicy",
    ),
    "iam-no-admin-policies": lambda d: add(
        d,
        "compute",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    # Tagged like the VPC, so that the gateway's existence is all that is wrong.
    "network-no-internet-path": lambda d: add(
        d,
        "network",
        "aws:ec2/internetGateway:InternetGateway",
        {"vpcId": "vpc-1", "tags": dict(inputs_of(d, "aws:ec2/vpc:Vpc")["tags"])},
    ),
    "network-flow-logs": lambda d: inputs_of(d, "aws:ec2/flowLog:FlowLog").update(
        trafficType="REJECT"
    ),
    "network-default-sg-closed": lambda d: inputs_of(
        d, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ).update(ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
    "network-no-open-cidrs": lambda d: inputs_of(
        d, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    ).update(cidrIpv4="0.0.0.0/0"),
    "logs-retention": lambda d: inputs_of(d, "aws:cloudwatch/logGroup:LogGroup").update(
        retentionInDays=365
    ),
    "tags-required": lambda d: inputs_of(d, "aws:ec2/vpc:Vpc")["tags"].pop("Layer"),
    # The stream, not the table: the table's autoscaling targets name the table.
    "names-convention": lambda d: inputs_of(d, "aws:kinesis/stream:Stream").update(name="trades"),
}

REMOVALS: dict[str, Mutation] = {
    "s3-public-access-block": lambda d: drop(
        d, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    ),
    "s3-default-encryption": lambda d: drop(
        d, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ),
    "s3-tls-only": lambda d: drop(d, "aws:s3/bucketPolicy:BucketPolicy"),
    "s3-versioning-production": lambda d: drop(d, "aws:s3/bucketVersioning:BucketVersioning"),
    "s3-acls-disabled": lambda d: drop(d, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"),
    "s3-abort-incomplete-uploads": lambda d: drop(
        d, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ),
    "dynamodb-autoscaling": lambda d: drop(d, "aws:appautoscaling/target:Target"),
    "lambda-dead-letter-queue": lambda d: drop(d, "aws:sqs/queue:Queue", "compute"),
    "lambda-stream-mapping": lambda d: drop(
        d, "aws:lambda/eventSourceMapping:EventSourceMapping", "compute"
    ),
    "kinesis-stream": lambda d: drop(d, "aws:kinesis/stream:Stream", "data"),
    "lambda-log-group": lambda d: drop(d, "aws:cloudwatch/logGroup:LogGroup", "compute"),
    "kms-key": lambda d: drop(d, "aws:kms/key:Key"),
    "network-flow-logs": lambda d: drop(d, "aws:ec2/flowLog:FlowLog"),
    "network-default-sg-closed": lambda d: drop(
        d, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ),
}

ALSO_FLAGGED: dict[str, set[str]] = {
    # SSE-KMS with the platform's key is one kind of default encryption: an archive without any
    # default encryption has no CMK default either.
    "s3-default-encryption/edit": {"encryption-customer-key"},
    "s3-default-encryption/removal": {"encryption-customer-key"},
    # Likewise a dead-letter queue with no encryption has no CMK encryption.
    "lambda-dead-letter-queue/edit": {"encryption-customer-key"},
}
