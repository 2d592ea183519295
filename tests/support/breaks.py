"""A deliberately broken copy of a synth document per guardrail rule: proof each rule can fail."""

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


def drop(doc: Document, type_token: str) -> None:
    for layer in doc["layers"]:
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
    "s3-default-encryption": lambda d: drop(
        d, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ),
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
    "dynamodb-encryption": lambda d: inputs_of(d, "aws:dynamodb/table:Table").update(
        serverSideEncryption={"enabled": False}
    ),
    "dynamodb-deletion-protection": lambda d: inputs_of(d, "aws:dynamodb/table:Table").update(
        deletionProtectionEnabled=False
    ),
    "stateful-protection": lambda d: resources(d, "aws:dynamodb/table:Table")[0]["options"].update(
        retainOnDelete=False
    ),
    "dynamodb-autoscaling": lambda d: drop(d, "aws:appautoscaling/target:Target"),
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
    "lambda-log-group": lambda d: drop(d, "aws:cloudwatch/logGroup:LogGroup"),
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
    "network-no-internet-path": lambda d: add(
        d, "network", "aws:ec2/internetGateway:InternetGateway", {"vpcId": "vpc-1"}
    ),
    "network-flow-logs": lambda d: drop(d, "aws:ec2/flowLog:FlowLog"),
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
    "names-convention": lambda d: inputs_of(d, "aws:dynamodb/table:Table").update(name="analytics"),
}
