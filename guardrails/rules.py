"""The rules, each declared once beside its check, with the checkov and trivy ids it matches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from guardrails.inventory import is_taggable
from guardrails.model import Check, Finding, Resource, Rule, StackView
from shared import iam
from shared.environments import BillingMode
from shared.naming import REQUIRED_TAG_KEYS
from shared.stateful import KEPT_TYPES

BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"
ROLE = "aws:iam/role:Role"
KEY = "aws:kms/key:Key"
STREAM = "aws:kinesis/stream:Stream"
STREAM_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
TOPIC = "aws:sns/topic:Topic"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
IDENTITY_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
# Every service principal a role of this platform may trust, and nothing else.
TRUSTED_SERVICES = ("lambda.amazonaws.com", "vpc-flow-logs.amazonaws.com")
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
OPEN_CIDRS = ("0.0.0.0/0", "::/0")

_REGISTERED: list[Rule] = []


def rule(
    rule_id: str,
    title: str,
    *,
    protects: str,
    checkov: tuple[str, ...] = (),
    trivy: tuple[str, ...] = (),
) -> Callable[[Check], Check]:
    """Declare a rule where its check is written: id, title, what it protects, scanner ids.

    Rules run, and are listed in docs/guardrails.md, in the order they are declared here.
    """

    def register(check: Check) -> Check:
        _REGISTERED.append(Rule(rule_id, title, protects, check, checkov, trivy))
        return check

    return register


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _per_bucket(view: StackView, setting: str) -> Iterator[tuple[Resource, list[Resource]]]:
    for bucket in view.of(BUCKET):
        name = bucket.get("bucket")
        yield bucket, [r for r in view.of(setting) if r.get("bucket") == name]


# ---- S3 -------------------------------------------------------------------------------------


@rule(
    "s3-public-access-block",
    "S3: all four public access block settings",
    protects="the archive from public exposure",
    checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    trivy=("AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093"),
)
def s3_public_access_blocked(view: StackView) -> Iterator[Finding]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    block = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    for bucket, blocks in _per_bucket(view, block):
        if not any(all(b.get(flag) is True for flag in flags) for b in blocks):
            yield Finding(bucket.name, "needs a public access block with all four settings on")


@rule(
    "s3-default-encryption",
    "S3: default encryption",
    protects="archived trades at rest",
    checkov=("CKV_AWS_19",),
    trivy=("AVD-AWS-0088",),
)
def s3_encrypted(view: StackView) -> Iterator[Finding]:
    setting = (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    for bucket, configs in _per_bucket(view, setting):
        algorithms = [
            rule.get("applyServerSideEncryptionByDefault", {}).get("sseAlgorithm")
            for config in configs
            for rule in _as_list(config.get("rules"))
        ]
        if not any(a in ("AES256", "aws:kms", "aws:kms:dsse") for a in algorithms):
            yield Finding(bucket.name, "needs default server-side encryption")


@rule(
    "s3-tls-only",
    "S3: a bucket policy denying non-TLS requests",
    protects="trades in transit",
)
def s3_tls_only(view: StackView) -> Iterator[Finding]:
    for bucket, bucket_policies in _per_bucket(view, "aws:s3/bucketPolicy:BucketPolicy"):
        denies = [
            s
            for p in bucket_policies
            for s in p.policy()["Statement"]
            if s.get("Effect") == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            and "s3:*" in _as_list(s.get("Action"))
            and s.get("Principal") in ("*", {"AWS": "*"})
        ]
        if not any(len(_as_list(s.get("Resource"))) >= 2 for s in denies):
            yield Finding(bucket.name, "needs a policy denying every request without TLS")


@rule(
    "s3-versioning-production",
    "S3: versioning in production",
    protects="production archives from overwrite and deletion",
    checkov=("CKV_AWS_21",),
    trivy=("AVD-AWS-0090",),
)
def s3_versioned_in_production(view: StackView) -> Iterator[Finding]:
    if not view.profile.s3_versioning:
        return
    for bucket, settings in _per_bucket(view, "aws:s3/bucketVersioning:BucketVersioning"):
        if not any(s.get("versioningConfiguration", "status") == "Enabled" for s in settings):
            yield Finding(bucket.name, f"must be versioned in {view.environment}")


@rule(
    "s3-acls-disabled",
    "S3: object ownership enforced (ACLs off)",
    protects="access decided by policy alone",
    checkov=("CKV2_AWS_65",),
)
def s3_acls_disabled(view: StackView) -> Iterator[Finding]:
    setting = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    for bucket, controls in _per_bucket(view, setting):
        if not any(c.get("rule", "objectOwnership") == "BucketOwnerEnforced" for c in controls):
            yield Finding(bucket.name, "needs object ownership BucketOwnerEnforced (ACLs off)")


@rule(
    "s3-abort-incomplete-uploads",
    "S3: lifecycle aborts incomplete multipart uploads",
    protects="cost of orphaned parts",
    checkov=("CKV_AWS_300",),
)
def s3_aborts_incomplete_uploads(view: StackView) -> Iterator[Finding]:
    setting = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    for bucket, lifecycles in _per_bucket(view, setting):
        if not any(
            rule.get("status") == "Enabled"
            and (rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation")
            for lifecycle in lifecycles
            for rule in _as_list(lifecycle.get("rules"))
        ):
            yield Finding(bucket.name, "needs a lifecycle rule aborting incomplete uploads")


# ---- DynamoDB -------------------------------------------------------------------------------


@rule(
    "dynamodb-pitr",
    "DynamoDB: point-in-time recovery",
    protects="analytics from bad writes",
    checkov=("CKV_AWS_28",),
    trivy=("AVD-AWS-0024",),
)
def dynamodb_point_in_time_recovery(view: StackView) -> Iterator[Finding]:
    for table in view.of(TABLE):
        if table.get("pointInTimeRecovery", "enabled") is not True:
            yield Finding(table.name, "needs point-in-time recovery")


@rule(
    "dynamodb-encryption",
    "DynamoDB: server-side encryption with KMS",
    protects="analytics at rest",
    checkov=("CKV_AWS_119",),
    trivy=("AVD-AWS-0025",),
)
def dynamodb_encrypted(view: StackView) -> Iterator[Finding]:
    for table in view.of(TABLE):
        if table.get("serverSideEncryption", "enabled") is not True:
            yield Finding(table.name, "needs server-side encryption with a KMS key")


@rule(
    "dynamodb-deletion-protection",
    "DynamoDB: deletion protection in production",
    protects="production analytics from deletion",
)
def dynamodb_deletion_protection(view: StackView) -> Iterator[Finding]:
    if not view.profile.protected:
        return
    for table in view.of(TABLE):
        if table.get("deletionProtectionEnabled") is not True:
            yield Finding(table.name, f"needs deletion protection in {view.environment}")


@rule(
    "stateful-protection",
    "Stateful resources and what guards them: protected and retained as the matrix says",
    protects="production data, and its protections, from a destroy, a rename or a replacement",
)
def stateful_protection(view: StackView) -> Iterator[Finding]:
    wanted = view.profile.protect_stateful
    for resource in view.of(*KEPT_TYPES):
        for option in ("protect", "retainOnDelete"):
            if option in resource.options and resource.options[option] is not wanted:
                state = "needs" if wanted else "must not have"
                yield Finding(
                    resource.name,
                    f"{state} {option} in {view.environment} (matrix: protect_stateful={wanted})",
                )


@rule(
    "dynamodb-autoscaling",
    "DynamoDB: autoscaling when billing is provisioned",
    protects="throughput under load",
    checkov=("CKV2_AWS_16",),
)
def dynamodb_autoscaled(view: StackView) -> Iterator[Finding]:
    targets = list(view.of("aws:appautoscaling/target:Target"))
    for table in view.of(TABLE):
        if table.get("billingMode") != BillingMode.PROVISIONED.value:
            continue
        dimensions = {
            t.get("scalableDimension")
            for t in targets
            if t.get("resourceId") == f"table/{table.get('name')}"
        }
        for wanted in ("ReadCapacityUnits", "WriteCapacityUnits"):
            if f"dynamodb:table:{wanted}" not in dimensions:
                yield Finding(table.name, f"provisioned without autoscaling of {wanted}")


# ---- Lambda ---------------------------------------------------------------------------------


@rule(
    "lambda-private-subnets",
    "Lambda: in the VPC's private subnets",
    protects="compute isolation",
    checkov=("CKV_AWS_117",),
)
def lambda_in_private_subnets(view: StackView) -> Iterator[Finding]:
    for function in view.of(FUNCTION):
        if not function.get("vpcConfig", "subnetIds") or not function.get(
            "vpcConfig", "securityGroupIds"
        ):
            yield Finding(function.name, "must run in the VPC's private subnets with its group")


@rule(
    "lambda-arm64",
    "Lambda: arm64",
    protects="cost (the description's choice)",
)
def lambda_arm64(view: StackView) -> Iterator[Finding]:
    for function in view.of(FUNCTION):
        if function.get("architectures") != ["arm64"]:
            yield Finding(function.name, "must run on arm64")


@rule(
    "lambda-tracing",
    "Lambda: active X-Ray tracing",
    protects="visibility of every invocation",
    checkov=("CKV_AWS_50",),
    trivy=("AVD-AWS-0066",),
)
def lambda_tracing(view: StackView) -> Iterator[Finding]:
    for function in view.of(FUNCTION):
        if function.get("tracingConfig", "mode") != "Active":
            yield Finding(function.name, "needs active X-Ray tracing")


@rule(
    "lambda-reserved-concurrency",
    "Lambda: reserved concurrency as the matrix says",
    protects="the account's concurrency from one runaway environment, where one is reserved",
    checkov=("CKV_AWS_115",),
)
def lambda_reserved_concurrency(view: StackView) -> Iterator[Finding]:
    wanted = view.profile.lambda_reserved_concurrency
    for function in view.of(FUNCTION):
        reserved = function.get("reservedConcurrentExecutions")
        if wanted is None:
            if reserved not in (None, -1):
                yield Finding(function.name, "reserves concurrency the matrix does not")
        elif not isinstance(reserved, int) or reserved < 1:
            yield Finding(function.name, f"needs reserved concurrency ({wanted}, the matrix's)")


@rule(
    "lambda-dead-letter-queue",
    "Lambda: encrypted SQS dead-letter queue",
    protects="events that fail every retry",
    checkov=("CKV_AWS_116", "CKV_AWS_27"),
    trivy=("AVD-AWS-0096",),
)
def lambda_dead_letter_queue(view: StackView) -> Iterator[Finding]:
    queues = {q.get("name"): q for q in view.of(QUEUE)}
    for function in view.of(FUNCTION):
        target = str(function.get("deadLetterConfig", "targetArn") or "")
        queue = queues.get(target.rsplit(":", 1)[-1]) if target.startswith("arn:") else None
        if queue is None:
            yield Finding(function.name, "needs an SQS dead-letter queue of its stack")
        elif not (queue.get("sqsManagedSseEnabled") is True or queue.get("kmsMasterKeyId")):
            yield Finding(queue.name, "the dead-letter queue must be encrypted")


@rule(
    "lambda-stream-mapping",
    "Lambda: the trade stream's mapping reports partial failures, bisects, retries boundedly",
    protects="records neither lost nor retried forever",
)
def lambda_stream_mapping(view: StackView) -> Iterator[Finding]:
    """The event source mapping as the matrix sizes it, with every failure path closed."""
    if view.layer == "compute" and view.has(FUNCTION) and not view.has(STREAM_MAPPING):
        yield Finding("compute", "the function must be mapped to the trade stream")
    p = view.profile
    expected = {
        "batchSize": p.stream_batch_size,
        "maximumBatchingWindowInSeconds": p.stream_batching_window_seconds,
        "parallelizationFactor": p.stream_parallelization_factor,
        "maximumRetryAttempts": p.stream_max_retry_attempts,
        "maximumRecordAgeInSeconds": p.stream_max_record_age_seconds,
    }
    for mapping in view.of(STREAM_MAPPING):
        if "ReportBatchItemFailures" not in _as_list(mapping.get("functionResponseTypes")):
            yield Finding(mapping.name, "must let the function report partial batch failures")
        if mapping.get("bisectBatchOnFunctionError") is not True:
            yield Finding(mapping.name, "must bisect a failing batch to isolate a bad record")
        if not mapping.get("destinationConfig", "onFailure", "destinationArn"):
            yield Finding(mapping.name, "needs an on-failure destination")
        for key, wanted in expected.items():
            if mapping.get(key) != wanted:
                yield Finding(
                    mapping.name, f"{key} is {mapping.get(key)!r}; the matrix says {wanted}"
                )


@rule(
    "kinesis-stream",
    "Kinesis: the trade stream has the matrix's shards and retention",
    protects="ingest capacity the arithmetic counts on",
)
def kinesis_stream(view: StackView) -> Iterator[Finding]:
    if view.layer == "data" and not view.has(STREAM):
        yield Finding("data", "the data layer must own the trade stream")
    p = view.profile
    for stream in view.of(STREAM):
        if stream.get("streamModeDetails", "streamMode") != "PROVISIONED":
            yield Finding(
                stream.name, "must be provisioned: producers spread lanes over its shards"
            )
        if stream.get("shardCount") != p.stream_shards:
            yield Finding(
                stream.name,
                f"has {stream.get('shardCount')} shards; the matrix says {p.stream_shards}",
            )
        if stream.get("retentionPeriod") != p.stream_retention_hours:
            yield Finding(
                stream.name,
                f"keeps records {stream.get('retentionPeriod')} hours; the matrix "
                f"says {p.stream_retention_hours}",
            )


@rule(
    "lambda-log-group",
    "Lambda: its log group exists with a retention",
    protects="logs kept only as long as meant",
)
def lambda_log_group(view: StackView) -> Iterator[Finding]:
    groups = {g.get("name") for g in view.of(LOG_GROUP) if g.get("retentionInDays")}
    for function in view.of(FUNCTION):
        wanted = function.get("loggingConfig", "logGroup") or f"/aws/lambda/{function.get('name')}"
        if wanted not in groups:
            yield Finding(function.name, f"its log group {wanted} must exist with a retention")


# ---- IAM ------------------------------------------------------------------------------------


def _identity_statements(view: StackView) -> Iterator[tuple[Resource, dict[str, Any]]]:
    for resource in view.of(*IDENTITY_POLICIES):
        for statement in resource.policy()["Statement"]:
            yield resource, statement


@rule(
    "iam-no-wildcard-actions",
    "IAM: no '*' or 'service:*' action, no NotAction",
    protects="least privilege",
    checkov=("CKV_AWS_63", "CKV_AWS_290"),
    trivy=("AVD-AWS-0057",),
)
def iam_no_wildcard_actions(view: StackView) -> Iterator[Finding]:
    for resource, statement in _identity_statements(view):
        if "NotAction" in statement:
            yield Finding(resource.name, "uses NotAction")
        for action in _as_list(statement.get("Action")):
            if action == "*" or str(action).endswith(":*") or "*" in str(action):
                yield Finding(resource.name, f"grants wildcard action {action!r}")


@rule(
    "iam-scoped-resources",
    "IAM: resources scoped except AWS's '*'-only actions",
    protects="least privilege",
    checkov=("CKV_AWS_355",),
    trivy=("AVD-AWS-0057",),
)
def iam_scoped_resources(view: StackView) -> Iterator[Finding]:
    for resource, statement in _identity_statements(view):
        if statement.get("Effect") != "Allow" or "*" not in _as_list(statement.get("Resource")):
            continue
        for action in _as_list(statement.get("Action")):
            if action not in iam.UNSCOPED_ACTIONS:
                yield Finding(resource.name, f"grants {action} on '*' (not on the allow-list)")


@rule(
    "iam-trust-one-service",
    "IAM: roles trust exactly one expected service",
    protects="roles from being assumed by anyone else",
)
def iam_trusts_one_service(view: StackView) -> Iterator[Finding]:
    function_roles = {str(f.get("role") or "").rsplit("/", 1)[-1] for f in view.of(FUNCTION)}
    for role in view.of(ROLE):
        statements = role.policy("assumeRolePolicy")["Statement"]
        principals = [s.get("Principal") for s in statements if s.get("Effect") == "Allow"]
        if (
            len(principals) != 1
            or not isinstance(principals[0], dict)
            or set(principals[0]) != {"Service"}
        ):
            yield Finding(role.name, "must be assumable by exactly one service principal")
            continue
        service = principals[0]["Service"]
        wanted = (
            ("lambda.amazonaws.com",) if role.get("name") in function_roles else TRUSTED_SERVICES
        )
        if service not in wanted:
            yield Finding(role.name, f"trusts {service!r}; allowed: {', '.join(wanted)}")


@rule(
    "iam-no-admin-policies",
    "IAM: no AWS managed admin policies",
    protects="least privilege",
    checkov=("CKV_AWS_274",),
)
def iam_no_admin_policies(view: StackView) -> Iterator[Finding]:
    attachments = (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    )
    for attachment in view.of(*attachments):
        arn = str(attachment.get("policyArn") or "")
        if arn.rsplit("/", 1)[-1] in ADMIN_POLICIES:
            yield Finding(attachment.name, f"attaches {arn}")
    for role in view.of(ROLE):
        for arn in _as_list(role.get("managedPolicyArns")):
            if str(arn).rsplit("/", 1)[-1] in ADMIN_POLICIES:
                yield Finding(role.name, f"carries {arn}")


# ---- Network --------------------------------------------------------------------------------


@rule(
    "network-no-internet-path",
    "Network: no internet or NAT gateway, no public IPs",
    protects="compute isolation",
    checkov=("CKV_AWS_130",),
    trivy=("AVD-AWS-0164",),
)
def network_no_internet_path(view: StackView) -> Iterator[Finding]:
    gateways = (
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway",
    )
    for gateway in view.of(*gateways):
        yield Finding(gateway.name, "the platform's VPCs have no path to the internet")
    for subnet in view.of("aws:ec2/subnet:Subnet"):
        if subnet.get("mapPublicIpOnLaunch") is True:
            yield Finding(subnet.name, "maps public IPs on launch")


@rule(
    "network-flow-logs",
    "Network: VPC flow logs of all traffic",
    protects="forensics",
    checkov=("CKV2_AWS_11",),
    trivy=("AVD-AWS-0178",),
)
def network_flow_logs(view: StackView) -> Iterator[Finding]:
    # One flow log of ALL traffic per VPC of the stack (IDs are unknown until deployed).
    complete = [f for f in view.of("aws:ec2/flowLog:FlowLog") if f.get("trafficType") == "ALL"]
    for vpc in list(view.of("aws:ec2/vpc:Vpc"))[len(complete) :]:
        yield Finding(vpc.name, "needs flow logs of all traffic")


@rule(
    "network-default-sg-closed",
    "Network: default security group without rules",
    protects="accidental exposure",
    checkov=("CKV2_AWS_12",),
)
def network_default_group_closed(view: StackView) -> Iterator[Finding]:
    vpcs = list(view.of("aws:ec2/vpc:Vpc"))
    defaults = list(view.of("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"))
    if vpcs and len(defaults) < len(vpcs):
        yield Finding(vpcs[0].name, "its default security group must be managed and empty")
    for group in defaults:
        if group.get("ingress") or group.get("egress"):
            yield Finding(group.name, "the default security group must have no rules")


@rule(
    "network-no-open-cidrs",
    "Network: no security group rule to 0.0.0.0/0 or ::/0",
    protects="exfiltration and exposure",
    checkov=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_382"),
    trivy=("AVD-AWS-0104", "AVD-AWS-0107"),
)
def network_no_open_cidrs(view: StackView) -> Iterator[Finding]:
    rule_types = (
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    )
    for rule in view.of(*rule_types):
        cidrs = [
            rule.get("cidrIpv4"),
            rule.get("cidrIpv6"),
            *_as_list(rule.get("cidrBlocks")),
            *_as_list(rule.get("ipv6CidrBlocks")),
        ]
        if any(c in OPEN_CIDRS for c in cidrs):
            yield Finding(rule.name, "opens a security group to the whole internet")
    for group in view.of("aws:ec2/securityGroup:SecurityGroup"):
        for inline in _as_list(group.get("ingress")) + _as_list(group.get("egress")):
            blocks = _as_list(inline.get("cidrBlocks")) + _as_list(inline.get("ipv6CidrBlocks"))
            if any(c in OPEN_CIDRS for c in blocks):
                yield Finding(group.name, "opens a security group to the whole internet")


# ---- Encryption ---------------------------------------------------------------------------


@rule(
    "kms-key",
    "KMS: the data and network layers own a customer-managed key each, rotated",
    protects="key compromise over time",
    checkov=("CKV_AWS_7",),
    trivy=("AVD-AWS-0065",),
)
def kms_key_present_and_rotated(view: StackView) -> Iterator[Finding]:
    keys = list(view.of(KEY))
    if view.layer in {"data", "network"} and not keys:
        yield Finding(view.layer, f"the {view.layer} layer must own a customer-managed key")
    for key in keys:
        if key.get("enableKeyRotation") is not True:
            yield Finding(key.name, "needs automatic key rotation")


@rule(
    "kms-key-policy",
    "KMS: the key policy admits the account, CloudWatch Logs and CloudWatch alarms only",
    protects="who can decrypt trading data",
    checkov=("CKV_AWS_33",),
)
def kms_key_policy(view: StackView) -> Iterator[Finding]:
    # CloudWatch publishes alarms to the topic the data key encrypts (shared/iam.py).
    allowed_services = {f"logs.{view.region}.amazonaws.com", "cloudwatch.amazonaws.com"}
    for key in view.of(KEY):
        for statement in key.policy()["Statement"]:
            principal = statement.get("Principal")
            if not isinstance(principal, dict):
                yield Finding(key.name, f"key policy admits {principal!r}")
                continue
            services = set(_as_list(principal.get("Service")))
            if "*" in _as_list(principal.get("AWS")) or services - allowed_services:
                yield Finding(key.name, f"key policy admits {principal!r}")
            if services and not statement.get("Condition"):
                yield Finding(key.name, "a service may use the key only for this account")
            if any("*" in str(a) for a in _as_list(statement.get("Action"))):
                yield Finding(key.name, "key policy grants a wildcard action")


@rule(
    "encryption-customer-key",
    "Encryption: table, bucket, stream, queues, alarm topic, environment and log groups use a CMK",
    protects="trading data at rest under the platform's own key",
    checkov=(
        "CKV_AWS_119",
        "CKV_AWS_145",
        "CKV_AWS_158",
        "CKV_AWS_173",
        "CKV_AWS_27",
        "CKV_AWS_43",
        "CKV_AWS_185",
    ),
    trivy=("AVD-AWS-0025", "AVD-AWS-0132", "AVD-AWS-0017", "AVD-AWS-0096"),
)
def encrypted_with_platform_key(view: StackView) -> Iterator[Finding]:
    """Table, archive, stream, queues, the function's logs and environment: the CMK."""
    fields = {
        TABLE: ("serverSideEncryption", "kmsKeyArn"),
        FUNCTION: ("kmsKeyArn",),
        QUEUE: ("kmsMasterKeyId",),
        STREAM: ("kmsKeyId",),
        TOPIC: ("kmsMasterKeyId",),
    }
    for resource in view.of(*fields):
        if not str(resource.get(*fields[resource.type]) or "").startswith("arn:"):
            yield Finding(resource.name, "must be encrypted with the platform's KMS key")
    for stream in view.of(STREAM):
        if stream.get("encryptionType") != "KMS":
            yield Finding(stream.name, "must use KMS server-side encryption")
    for group in view.of(LOG_GROUP):
        if not str(group.get("kmsKeyId") or "").startswith("arn:"):
            yield Finding(group.name, "must be encrypted with a customer-managed KMS key")
    setting = (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    for bucket, configs in _per_bucket(view, setting):
        defaults = [
            rule.get("applyServerSideEncryptionByDefault", {})
            for config in configs
            for rule in _as_list(config.get("rules"))
        ]
        if not any(
            d.get("sseAlgorithm") == "aws:kms" and d.get("kmsMasterKeyId") for d in defaults
        ):
            yield Finding(bucket.name, "must default to SSE-KMS with the platform's key")


# ---- Alarms -----------------------------------------------------------------------------------


@rule(
    "alarms-notify",
    "Alarms: every alarm notifies an SNS topic (production: someone is told)",
    protects="failures noticed when they happen, not in the logs later",
)
def alarms_notify(view: StackView) -> Iterator[Finding]:
    for alarm in view.of(ALARM):
        actions = [str(a) for a in _as_list(alarm.get("alarmActions"))]
        if not actions:
            yield Finding(alarm.name, f"has no alarm action in {view.environment}")
        elif not all(a.startswith("arn:") and ":sns:" in a for a in actions):
            yield Finding(alarm.name, f"notifies {actions}, not an SNS topic")


# ---- Logs, tags, names ----------------------------------------------------------------------


@rule(
    "logs-retention",
    "Logs: retention equals the environment profile",
    protects="logs kept as long as the matrix says",
)
def logs_retention(view: StackView) -> Iterator[Finding]:
    for group in view.of(LOG_GROUP):
        if group.get("retentionInDays") != view.profile.log_retention_days:
            yield Finding(
                group.name,
                f"retention {group.get('retentionInDays')} days; {view.environment} keeps "
                f"{view.profile.log_retention_days}",
            )


@rule(
    "tags-required",
    "Tags: Environment, Project, Layer and ManagedBy everywhere",
    protects="ownership and cost allocation",
)
def tags_required(view: StackView) -> Iterator[Finding]:
    for resource in view.resources:
        if not is_taggable(resource.type):
            continue
        tags = resource.get("tags") or {}
        missing = [key for key in REQUIRED_TAG_KEYS if not tags.get(key)]
        if missing:
            yield Finding(resource.name, f"lacks tags {', '.join(missing)}")
        elif tags.get("Environment") != view.environment or tags.get("Layer") != view.layer:
            yield Finding(resource.name, "its Environment or Layer tag names another stack")


NAMED = {
    FUNCTION: "name",
    TABLE: "name",
    BUCKET: "bucket",
    LOG_GROUP: "name",
    ROLE: "name",
    QUEUE: "name",
    STREAM: "name",
}


@rule(
    "names-convention",
    "Names: {resource-type}-{environment}-{region}",
    protects="one name per thing, per environment",
)
def names_follow_convention(view: StackView) -> Iterator[Finding]:
    suffix = f"-{view.environment}-{view.region}"
    for resource in view.of(*NAMED):
        name = str(resource.get(NAMED[resource.type]) or "")
        # A bucket name may be overridden (bucket names are global); it is still checked by AWS.
        if resource.type != BUCKET and not name.endswith(suffix):
            yield Finding(resource.name, f"name {name!r} does not end in {suffix!r}")


RULES: tuple[Rule, ...] = tuple(_REGISTERED)
