"""What moto lacks that the platform's resources need, filled in the emulator's own process.

Each gap names the moto version it was found in and what calls it (terraform-provider-aws,
under pulumi-aws, or the platform). `install()` fills only gaps that are still open: a gap
whose call moto's own source has since implemented is skipped (`is_open`), so a moto upgrade
that closes one drops it, and tests/emulator/test_gaps.py says which ones an upgrade closed.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.applicationautoscaling import models as autoscaling_models
from moto.applicationautoscaling import responses as autoscaling_responses
from moto.awslambda import models as lambda_models
from moto.awslambda import responses as lambda_responses
from moto.awslambda import urls as lambda_urls
from moto.core.exceptions import JsonRESTError
from moto.dynamodb import responses as dynamodb_responses
from moto.ec2.models import security_groups as ec2_security_groups
from moto.ec2.models import subnets as ec2_subnets
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.iam.access_control import PermissionResult
from moto.kinesis import responses as kinesis_responses
from moto.s3 import models as s3_models
from moto.s3 import responses as s3_responses


@dataclass(frozen=True)
class Gap:
    name: str
    found_in: str  # the moto version the gap was found in
    needed_by: str
    is_open: Callable[[], bool]
    fill: Callable[[], None]


# ---- Application Auto Scaling tags -----------------------------------------------------------
# terraform-provider-aws internal/service/appautoscaling/target.go: RegisterScalableTarget with
# Tags, then the tag interceptor's ListTagsForResource(ResourceARN=ScalableTargetARN); updates
# call TagResource/UntagResource. moto 5.2.5 answers ListTagsForResource with HTTP 500
# (NotImplementedError) and drops RegisterScalableTarget's Tags.

_Response = autoscaling_responses.ApplicationAutoScalingResponse
_Backend = autoscaling_models.ApplicationAutoscalingBackend


def _tags_of(backend: Any) -> dict[str, dict[str, str]]:
    # Kept on the backend, so moto's own reset (a new backend) forgets them too.
    if not hasattr(backend, "gap_tags"):
        backend.gap_tags = {}
    return backend.gap_tags  # type: ignore[no-any-return]


def _target_arns(backend: Any) -> set[str]:
    return {t.arn for targets in backend.targets.values() for t in targets.values()}


def _known(response: Any, arn: str) -> dict[str, str]:
    backend = response.applicationautoscaling_backend
    if arn not in _target_arns(backend):
        # What Application Auto Scaling answers for an unknown ARN (API reference, errors).
        raise JsonRESTError("ResourceNotFoundException", f"No scalable target with ARN {arn}")
    return _tags_of(backend).setdefault(arn, {})


def _fill_autoscaling_tags() -> None:
    register = _Response.register_scalable_target
    deregister = _Backend.deregister_scalable_target

    def register_scalable_target(self: Any) -> str:
        answer = register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            arn = json.loads(answer)["ScalableTargetARN"]
            _tags_of(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
        return answer

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        target = self.targets.get(dimension, {}).get(r_id)
        deregister(self, namespace, r_id, dimension)
        if target is not None:
            _tags_of(self).pop(target.arn, None)

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": dict(_known(self, self._get_param("ResourceARN")))})

    def tag_resource(self: Any) -> str:
        _known(self, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        tags = _known(self, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    _Response.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    _Backend.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    _Response.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    _Response.tag_resource = tag_resource  # type: ignore[attr-defined]
    _Response.untag_resource = untag_resource  # type: ignore[attr-defined]


# ---- Lambda LoggingConfig and DeadLetterConfig ----------------------------------------------
# terraform-provider-aws internal/service/lambda/function.go: CreateFunction with LoggingConfig
# and DeadLetterConfig, then GetFunction, whose Configuration it compares with the inputs
# (logging_config, dead_letter_config); UpdateFunctionConfiguration changes them. moto 5.2.5
# keeps neither, so every refresh would see drift. Lambda returns LoggingConfig on every
# function (LogFormat Text, LogGroup /aws/lambda/NAME by default: Lambda developer guide,
# "Configuring advanced logging controls") and DeadLetterConfig only when one is set.

_Function = lambda_models.LambdaFunction


def _logging_config(function: Any, given: dict[str, Any] | None) -> dict[str, Any]:
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}
    config.update(given or {})
    return config


def _fill_lambda_configs() -> None:
    init = _Function.__init__
    get_configuration = _Function.get_configuration
    update_configuration = _Function.update_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:  # noqa: N807
        init(self, account_id, spec, *args, **kw)
        self.gap_logging_config = _logging_config(self, spec.get("LoggingConfig"))
        self.gap_dead_letter_config = spec.get("DeadLetterConfig") or {}
        # Where the function's own log lines go (the emulator's function runner writes there).
        self.logs_group_name = self.gap_logging_config["LogGroup"]

    def configuration(self: Any, *args: Any, **kw: Any) -> dict[str, Any]:
        config = get_configuration(self, *args, **kw)
        config["LoggingConfig"] = dict(self.gap_logging_config)
        if self.gap_dead_letter_config.get("TargetArn"):
            config["DeadLetterConfig"] = dict(self.gap_dead_letter_config)
        return config

    def update(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            self.gap_logging_config = _logging_config(self, updates["LoggingConfig"])
            self.logs_group_name = self.gap_logging_config["LogGroup"]
        if "DeadLetterConfig" in updates:
            self.gap_dead_letter_config = updates["DeadLetterConfig"] or {}
        return update_configuration(self, updates)

    _Function.__init__ = __init__  # type: ignore[method-assign]
    _Function.get_configuration = configuration  # type: ignore[method-assign]
    _Function.update_configuration = update  # type: ignore[method-assign,assignment]


def _moto_mentions(cls: type, word: str) -> bool:
    """Whether moto's own source of `cls` handles `word` (a gap an upgrade closed)."""
    try:
        return word in inspect.getsource(cls)
    except (OSError, TypeError):
        return False


# ---- EC2 security group rule descriptions ----------------------------------------------------
# terraform-provider-aws internal/service/ec2/vpc_security_group_ingress_rule.go (and
# vpc_security_group_egress_rule.go): AuthorizeSecurityGroupIngress/Egress with the rule's
# Description inside UserIdGroupPairs or PrefixListIds, then DescribeSecurityGroupRules, whose
# Description it compares with `description`. moto 5.2.5's SecurityGroupRule reads Description
# from the CIDR range only: a rule referencing a security group or a prefix list comes back
# without it (the prefix list's is discarded at creation), so every refresh would see drift.

_Rule = ec2_security_groups.SecurityGroupRule


def _fill_rule_descriptions() -> None:
    init = _Rule.__init__

    def __init__(self: Any, *args: Any, **kw: Any) -> None:  # noqa: N807
        init(self, *args, **kw)
        prefix_list = kw.get("prefix_list_id", args[7] if len(args) > 7 else None)
        self.gap_prefix_list_description = (prefix_list or {}).get("Description")

    def description(self: Any) -> str | None:
        return (
            self.ip_range.get("Description")
            or self.source_group.get("Description")
            or getattr(self, "gap_prefix_list_description", None)
        )

    _Rule.__init__ = __init__  # type: ignore[method-assign]
    _Rule.description = property(description)  # type: ignore[assignment,method-assign]


# ---- EC2 CreateSubnet by zone ID -----------------------------------------------------------
# terraform-provider-aws internal/service/ec2/vpc_subnet.go: CreateSubnet with
# AvailabilityZoneId when `availability_zone_id` is set (the platform chooses zones by ID:
# shared/zones.py). moto 5.2.5's SubnetBackend.create_subnet decides whether the subnet is its
# zone's default by counting the subnets under the zone *name*, which is None when only the ID
# is given: every such subnet comes back DefaultForAz and MapPublicIpOnLaunch true. AWS makes a
# subnet the zone's default only in the default VPC (VPC User Guide, "Default subnets").

_SubnetBackend = ec2_subnets.SubnetBackend
# Read before the gap is filled: whether moto still counts a zone's subnets by name alone.
_MOTO_SUBNET_COUNTS_BY_NAME = "self.subnets.get(availability_zone, [])" in inspect.getsource(
    _SubnetBackend.create_subnet
)


def _fill_subnet_zone_id() -> None:
    create = _SubnetBackend.create_subnet
    signature = inspect.signature(create)

    def create_subnet(self: Any, *args: Any, **kw: Any) -> Any:
        call = signature.bind(self, *args, **kw)  # moto's responses pass them by position
        zone_id = call.arguments.get("availability_zone_id")
        if zone_id and not call.arguments.get("availability_zone"):
            for zone in (z for zones in RegionsAndZonesBackend.zones.values() for z in zones):
                if zone.zone_id == zone_id:
                    call.arguments["availability_zone"] = zone.name  # then counted right
                    break
        return create(*call.args, **call.kwargs)

    _SubnetBackend.create_subnet = create_subnet  # type: ignore[method-assign]


# ---- Kinesis CreateStream Tags ---------------------------------------------------------------
# terraform-provider-aws internal/service/kinesis/stream.go: CreateStream with Tags (the
# resource's tags, `input.Tags = tags`), then ListTagsForStream from the tag interceptor. moto
# 5.2.5's CreateStream ignores Tags, so the stream comes back untagged: drift on every refresh.

_KinesisResponse = kinesis_responses.KinesisResponse
# Read before the gap is filled: whether moto's own CreateStream reads Tags.
_MOTO_CREATE_STREAM_READS_TAGS = '"Tags"' in inspect.getsource(_KinesisResponse.create_stream)


def _fill_kinesis_create_tags() -> None:
    create = _KinesisResponse.create_stream

    def create_stream(self: Any) -> Any:
        answer = create(self)
        tags = self._get_param("Tags") or {}
        if tags:
            self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
        return answer

    _KinesisResponse.create_stream = create_stream  # type: ignore[method-assign]


# ---- S3 bucket policy conditions -------------------------------------------------------------
# The platform's archive bucket denies any request not made over TLS (shared/iam.py,
# DenyInsecureTransport: Deny s3:* when Bool aws:SecureTransport is "false"). moto 5.2.5's
# FakeBucket.get_permission evaluates bucket policies with no request context, and its condition
# check (moto/iam/policy_conditions.py) knows only StringEquals and ignores any other operator,
# so the Deny applies to every request: the function's PutObject answers 403. AWS applies a
# statement only when its condition holds (IAM User Guide, "Policy evaluation logic"); the
# emulator's loopback endpoint stands in for AWS's TLS endpoints, so its requests are made with
# aws:SecureTransport "true", as every SDK call to AWS is.

_Bucket = s3_models.FakeBucket
# What a request to the emulator brings to a policy's conditions.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool | None:
    """Whether a statement's Condition holds; None for an operator not modelled here."""
    for operator, tests in condition.items():
        if operator not in ("Bool", "StringEquals"):
            return None
        for key, expected in tests.items():
            values = expected if isinstance(expected, list) else [expected]
            allowed = [str(v).lower() if operator == "Bool" else str(v) for v in values]
            actual = context.get(key)
            if actual is None or actual not in allowed:
                return False  # an absent key fails the test (no ...IfExists here)
    return True


def _without_condition(statement: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k != "Condition"}


def _fill_bucket_policy_conditions() -> None:
    get_permission = _Bucket.get_permission

    def permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return get_permission(self, action, resource)
        policy = json.loads(self.policy)
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        applying = [
            statement
            for statement in statements
            if _condition_holds(statement.get("Condition") or {}, REQUEST_CONTEXT) is not False
        ]
        if not applying:
            return PermissionResult.NEUTRAL
        # moto evaluates what applies; a held condition is then dropped so it is not re-read.
        kept = [
            _without_condition(s)
            if _condition_holds(s.get("Condition") or {}, REQUEST_CONTEXT)
            else s
            for s in applying
        ]
        original = self.policy
        self.policy = json.dumps({**policy, "Statement": kept}).encode()
        try:
            return get_permission(self, action, resource)
        finally:
            self.policy = original

    _Bucket.get_permission = permission  # type: ignore[method-assign]


# ---- Lambda GetAccountSettings --------------------------------------------------------------
# Preflight (orchestration/preflight.py) reads the account's concurrency limit and what is left
# unreserved (Lambda API reference, GetAccountSettings: AccountLimit.ConcurrentExecutions and
# UnreservedConcurrentExecutions). moto 5.2.5 has no route or response for it. The limit is
# moto's own knob for it (MOTO_LAMBDA_CONCURRENCY_QUOTA, which its PutFunctionConcurrency
# enforces), else AWS's default of 1,000 (Lambda developer guide, "Lambda quotas").

_LambdaResponse = lambda_responses.LambdaResponse
ACCOUNT_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
DEFAULT_CONCURRENCY_QUOTA = 1000


def _fill_lambda_account_settings() -> None:
    lambda_urls.url_paths[ACCOUNT_SETTINGS_PATH] = _LambdaResponse.dispatch

    def get_account_settings(self: Any) -> Any:
        quota = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", DEFAULT_CONCURRENCY_QUOTA))
        functions = list(self.backend.list_functions())
        reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
        code = sum(int(f.code_size or 0) for f in functions)
        body = {
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800,
                "CodeSizeUnzipped": 262_144_000,
                "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": quota,
                "UnreservedConcurrentExecutions": quota - reserved,
            },
            "AccountUsage": {"TotalCodeSize": code, "FunctionCount": len(functions)},
        }
        return 200, {}, json.dumps(body)

    _LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]


# ---- DynamoDB DescribeLimits ----------------------------------------------------------------
# Preflight compares the table's autoscaling maximum with these. moto 5.2.5 answers fixed
# values of its own (20,000 per account, 10,000 per table); AWS's defaults are 80,000 and
# 40,000 read and write capacity units (DynamoDB developer guide, "Service, account, and table
# quotas"; the AWS CLI reference's describe-limits example). Kept on the backend
# (`gap_limits`), where a test stands in for an account with other quotas.

_DynamoResponse = dynamodb_responses.DynamoHandler
AWS_DEFAULT_DYNAMODB_LIMITS = {
    "AccountMaxReadCapacityUnits": 80_000,
    "AccountMaxWriteCapacityUnits": 80_000,
    "TableMaxReadCapacityUnits": 40_000,
    "TableMaxWriteCapacityUnits": 40_000,
}
_MOTO_DESCRIBE_LIMITS = inspect.getsource(_DynamoResponse.describe_limits)


def _fill_dynamodb_limits() -> None:
    def describe_limits(self: Any) -> str:
        limits = getattr(self.dynamodb_backend, "gap_limits", AWS_DEFAULT_DYNAMODB_LIMITS)
        return json.dumps(dict(limits))

    _DynamoResponse.describe_limits = describe_limits  # type: ignore[method-assign,assignment]


# ---- S3 HeadBucket of another account's bucket ----------------------------------------------
# Preflight tells a free bucket name from one another account owns: AWS answers HeadBucket
# with 404 for a name no one has and 403 for a bucket the caller may not read, such as another
# account's (S3 API reference, HeadBucket). moto 5.2.5 answers 200 for any existing bucket.

_S3Response = s3_responses.S3Response


def _fill_head_bucket_owner() -> None:
    head_bucket = _S3Response.head_bucket

    def head(self: Any) -> Any:
        answer = head_bucket(self)
        if answer[0] == 200:
            bucket = self.backend.get_bucket(self.bucket_name)
            if bucket.account_id != self.current_account and bucket.policy is None:
                return 403, {}, ""
        return answer

    _S3Response.head_bucket = head  # type: ignore[method-assign]


# ---- the gaps, in one list -------------------------------------------------------------------

GAPS: tuple[Gap, ...] = (
    Gap(
        "application-autoscaling ListTagsForResource, TagResource, UntagResource",
        found_in="5.2.5",
        needed_by="aws:appautoscaling/target:Target (the provider lists tags after create)",
        is_open=lambda: not _moto_mentions(_Response, "def list_tags_for_resource"),
        fill=_fill_autoscaling_tags,
    ),
    Gap(
        "lambda LoggingConfig and DeadLetterConfig kept and returned",
        found_in="5.2.5",
        needed_by="aws:lambda/function:Function (refresh compares them: drift otherwise)",
        is_open=lambda: not _moto_mentions(_Function, "LoggingConfig"),
        fill=_fill_lambda_configs,
    ),
    Gap(
        "ec2 DescribeSecurityGroupRules Description of group and prefix-list rules",
        found_in="5.2.5",
        needed_by=(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule and "
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule (refresh compares it)"
        ),
        is_open=lambda: not _moto_mentions(_Rule, 'source_group.get("Description")'),
        fill=_fill_rule_descriptions,
    ),
    Gap(
        "ec2 CreateSubnet by AvailabilityZoneId is not its zone's default",
        found_in="5.2.5",
        needed_by="aws:ec2/subnet:Subnet with availabilityZoneId (MapPublicIpOnLaunch read back)",
        is_open=lambda: _MOTO_SUBNET_COUNTS_BY_NAME,
        fill=_fill_subnet_zone_id,
    ),
    Gap(
        "kinesis CreateStream Tags kept",
        found_in="5.2.5",
        needed_by="aws:kinesis/stream:Stream (created with Tags, then ListTagsForStream)",
        is_open=lambda: not _MOTO_CREATE_STREAM_READS_TAGS,
        fill=_fill_kinesis_create_tags,
    ),
    Gap(
        "s3 bucket policy conditions (aws:SecureTransport)",
        found_in="5.2.5",
        needed_by=(
            "the platform's TLS-only bucket policy (aws:s3/bucketPolicy:BucketPolicy) and the "
            "function's PutObject into the archive"
        ),
        is_open=lambda: not _moto_mentions(_Bucket, "SecureTransport"),
        fill=_fill_bucket_policy_conditions,
    ),
)

GAPS = (
    *GAPS,
    Gap(
        "lambda GetAccountSettings",
        found_in="5.2.5",
        needed_by="preflight's concurrency check (the account's limit and what is unreserved)",
        is_open=lambda: not _moto_mentions(_LambdaResponse, "def get_account_settings"),
        fill=_fill_lambda_account_settings,
    ),
    Gap(
        "dynamodb DescribeLimits answers AWS's default quotas",
        found_in="5.2.5",
        needed_by="preflight's capacity check (the table's autoscaling maximum against them)",
        is_open=lambda: "10000" in _MOTO_DESCRIBE_LIMITS,
        fill=_fill_dynamodb_limits,
    ),
    Gap(
        "s3 HeadBucket of another account's bucket answers 403",
        found_in="5.2.5",
        needed_by="preflight's bucket check (a name taken by another account)",
        is_open=lambda: "account_id" not in inspect.getsource(_S3Response.head_bucket),
        fill=_fill_head_bucket_owner,
    ),
)

_filled: list[Gap] = []


def install() -> list[Gap]:
    """Fill every gap still open in the installed moto, once; the ones filled."""
    for gap in GAPS:
        if gap not in _filled and gap.is_open():
            gap.fill()
            _filled.append(gap)
    return list(_filled)
