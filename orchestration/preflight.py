"""Preflight: what AWS would refuse about this environment in this account, asked before any
engine call (docs/deploying.md, "Preflight"). Each check reads the account with the same
clients the run uses and answers one line: ok, FAIL with the fix, or `?` when the account does
not let it look (a check it cannot make blocks nothing, but is said).

The environment's needs are read from its stack files by the programs' own parsers
(orchestration/stack_config.py), and the zones by the programs' own chooser (shared/zones.py),
so what is checked is what the programs would ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestration import stack_config
from orchestration.aws import Clients
from orchestration.engine import StackRef
from shared import zones
from shared.environments import BillingMode
from shared.settings import ComputeSettings, DataSettings, NetworkSettings

# Lambda keeps this much of an account's concurrency unreserved (Lambda developer guide,
# "Configuring reserved concurrency": you can reserve up to the unreserved concurrency minus 100).
UNRESERVED_MINIMUM = 100
LAMBDA_CONCURRENCY_QUOTA = "AWS Lambda 'Concurrent executions' (L-B99A9384)"
# What Lambda does with the function's role in the VPC (Lambda developer guide, "Giving Lambda
# functions access to resources in an Amazon VPC").
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface")


class State(str, Enum):
    PASSED = "ok"
    FAILED = "FAIL"
    UNKNOWN = "?"


@dataclass(frozen=True)
class Result:
    check: str
    state: State
    detail: str
    fix: str = ""

    @property
    def line(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.state.value:<4} {self.check}: {self.detail}{fix}"


@dataclass(frozen=True)
class Needs:
    """What the environment asks of its account (its stack files, parsed as the programs do)."""

    environment: str
    region: str
    function_name: str
    role_name: str
    reserved_concurrency: int | None
    provisioned: bool
    max_capacity: int
    stream_name: str
    stream_shards: int
    az_count: int
    bucket_name: str

    @classmethod
    def of(cls, stack_for: dict[str, StackRef]) -> Needs:
        network = stack_config.settings(stack_for["network"])
        data = stack_config.settings(stack_for["data"])
        compute = stack_config.settings(stack_for["compute"])
        assert isinstance(network, NetworkSettings)
        assert isinstance(data, DataSettings)
        assert isinstance(compute, ComputeSettings)
        return cls(
            environment=compute.context.environment,
            region=compute.context.region,
            function_name=compute.function_name,
            role_name=compute.role_name,
            reserved_concurrency=compute.reserved_concurrency,
            provisioned=data.billing_mode is BillingMode.PROVISIONED,
            max_capacity=data.max_capacity,
            stream_name=data.stream_name,
            stream_shards=data.stream_shards,
            az_count=network.az_count,
            bucket_name=data.bucket_name,
        )


Check = Callable[[Needs, Clients], Result]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def identity(needs: Needs, aws: Clients) -> Result:
    try:
        who = aws("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        return Result(
            "account",
            State.FAILED,
            f"no usable AWS credentials: {str(error).splitlines()[0]}",
            f"set AWS_PROFILE (or log in: aws sso login) to the account of {needs.environment}",
        )
    # The accounts each environment expects come with the environment matrix's accounts; until
    # then the run says which account and region it acts in, so a wrong shell is seen.
    return Result(
        "account",
        State.PASSED,
        f"{needs.environment} acts in account {who['Account']} as {who['Arn']}, "
        f"region {needs.region}",
    )


def lambda_concurrency(needs: Needs, aws: Clients) -> Result:
    client = aws("lambda")
    limits = client.get_account_settings()["AccountLimit"]
    quota = int(limits["ConcurrentExecutions"])
    unreserved = int(limits["UnreservedConcurrentExecutions"])
    wanted = needs.reserved_concurrency
    if wanted is None:
        return Result(
            "lambda concurrency",
            State.PASSED,
            f"none reserved; the function shares the account's {unreserved} unreserved "
            f"(quota {quota})",
        )
    try:
        current = int(
            client.get_function_concurrency(FunctionName=needs.function_name).get(
                "ReservedConcurrentExecutions"
            )
            or 0
        )
    except ClientError as error:
        if _code(error) != "ResourceNotFoundException":
            raise
        current = 0  # not deployed yet: nothing of ours reserved
    after = unreserved + current - wanted
    if after >= UNRESERVED_MINIMUM:
        return Result(
            "lambda concurrency",
            State.PASSED,
            f"reserving {wanted} leaves {after} of the account's {quota} unreserved "
            f"(Lambda keeps {UNRESERVED_MINIMUM})",
        )
    needed = quota + (UNRESERVED_MINIMUM - after)
    most = max(unreserved + current - UNRESERVED_MINIMUM, 0)
    lower = f"at most {most}, or none" if most else "none"
    return Result(
        "lambda concurrency",
        State.FAILED,
        f"reserving {wanted} would leave {after} of the account's {quota} unreserved; Lambda "
        f"refuses below {UNRESERVED_MINIMUM}",
        f"raise the Service Quotas quota {LAMBDA_CONCURRENCY_QUOTA} in {needs.region} to at "
        f"least {needed}, or set trading-compute:lambda_reserved_concurrency to {lower}",
    )


def dynamodb_capacity(needs: Needs, aws: Clients) -> Result:
    if not needs.provisioned:
        return Result(
            "dynamodb capacity", State.PASSED, "on-demand table: no provisioned quota applies"
        )
    limits = aws("dynamodb").describe_limits()
    table = min(int(limits["TableMaxWriteCapacityUnits"]), int(limits["TableMaxReadCapacityUnits"]))
    account = min(
        int(limits["AccountMaxWriteCapacityUnits"]), int(limits["AccountMaxReadCapacityUnits"])
    )
    if needs.max_capacity <= table and needs.max_capacity <= account:
        return Result(
            "dynamodb capacity",
            State.PASSED,
            f"the autoscaling maximum {needs.max_capacity:,} is within the table quota "
            f"{table:,} and the account quota {account:,}",
        )
    short = [
        f"'{scope}-level write and read throughput limit' to at least {needs.max_capacity:,}"
        for scope, limit in (("Table", table), ("Account", account))
        if needs.max_capacity > limit
    ]
    return Result(
        "dynamodb capacity",
        State.FAILED,
        f"the autoscaling maximum {needs.max_capacity:,} is above the account's quotas "
        f"(table {table:,}, account {account:,}): autoscaling would stop there",
        f"raise Amazon DynamoDB's {' and '.join(short)} in Service Quotas, or lower "
        f"trading-data:max_capacity to {min(table, account):,}",
    )


def kinesis_shards(needs: Needs, aws: Clients) -> Result:
    client = aws("kinesis")
    limits = client.describe_limits()
    try:
        summary = client.describe_stream_summary(StreamName=needs.stream_name)
        current = int(summary["StreamDescriptionSummary"].get("OpenShardCount", 0))
    except ClientError as error:
        if _code(error) != "ResourceNotFoundException":
            raise
        current = 0
    limit, open_shards = int(limits["ShardLimit"]), int(limits["OpenShardCount"])
    after = open_shards - current + needs.stream_shards
    if after <= limit:
        return Result(
            "kinesis shards",
            State.PASSED,
            f"{needs.stream_shards} shards bring the region to {after} of its {limit}",
        )
    return Result(
        "kinesis shards",
        State.FAILED,
        f"{needs.stream_shards} shards would bring the region to {after}, above its {limit}",
        f"raise Amazon Kinesis Data Streams' 'Shards per Region' quota in Service Quotas to at "
        f"least {after}",
    )


def availability_zones(needs: Needs, aws: Clients) -> Result:
    ec2 = aws("ec2")
    found = ec2.describe_availability_zones(
        Filters=[
            {"Name": "state", "Values": ["available"]},
            {"Name": "opt-in-status", "Values": ["opt-in-not-required"]},
        ]
    )["AvailabilityZones"]
    available = [zones.Zone(z["ZoneName"], z["ZoneId"]) for z in found]
    offered = {z.name for z in available}
    for service in zones.INTERFACE_ENDPOINTS:
        name = f"com.amazonaws.{needs.region}.{service}"
        details = ec2.describe_vpc_endpoint_services(ServiceNames=[name])["ServiceDetails"]
        offered &= {zone for detail in details for zone in detail.get("AvailabilityZones", [])}
    try:
        chosen = zones.choose(available, needs.az_count, offered, needs.region)
    except zones.ZoneError as error:
        message, _, fix = str(error).rpartition(": ")
        return Result("zones", State.FAILED, message, fix)
    return Result(
        "zones",
        State.PASSED,
        f"subnets in {', '.join(z.zone_id for z in chosen)} ("
        f"{', '.join(z.name for z in chosen)} in this account): Lambda and the "
        f"{' and '.join(zones.INTERFACE_ENDPOINTS)} endpoints are offered there",
    )


def bucket_name(needs: Needs, aws: Clients) -> Result:
    try:
        aws("s3").head_bucket(Bucket=needs.bucket_name)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or _code(error) in ("404", "NoSuchBucket"):
            return Result("bucket name", State.PASSED, f"{needs.bucket_name} is free")
        if status == 403 or _code(error) in ("403", "Forbidden", "AccessDenied"):
            return Result(
                "bucket name",
                State.FAILED,
                f"{needs.bucket_name} exists and belongs to another account (names are global)",
                f"set trading-data:bucket_suffix in stacks/data/Pulumi.{needs.environment}.yaml "
                f"to your organisation's name or this account's id "
                f"({needs.bucket_name}-{_account(aws)}), or trading-data:bucket_name",
            )
        raise
    return Result("bucket name", State.PASSED, f"{needs.bucket_name} exists in this account")


def _account(aws: Clients) -> str:
    try:
        return str(aws("sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError):
        return "ACCOUNT"


def network_interface_permissions(needs: Needs, aws: Clients) -> Result:
    """The IAM policy simulator on the deployed role (it needs the role, and the permission to
    simulate): what Lambda itself checks when it attaches the function to the VPC."""
    iam = aws("iam")
    try:
        role = iam.get_role(RoleName=needs.role_name)["Role"]
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise
        return Result(
            "function network permissions",
            State.UNKNOWN,
            f"not checked: role {needs.role_name} does not exist yet (first deploy)",
        )
    evaluated = iam.simulate_principal_policy(
        PolicySourceArn=role["Arn"], ActionNames=list(ENI_ACTIONS)
    )["EvaluationResults"]
    denied = [r["EvalActionName"] for r in evaluated if r["EvalDecision"] != "allowed"]
    if denied:
        return Result(
            "function network permissions",
            State.FAILED,
            f"role {needs.role_name} may not {', '.join(denied)} (IAM policy simulator)",
            "check the account's permission boundaries and SCPs for these actions",
        )
    return Result(
        "function network permissions",
        State.PASSED,
        f"role {needs.role_name} may {', '.join(ENI_ACTIONS)} (IAM policy simulator)",
    )


CHECKS: tuple[Check, ...] = (
    identity,
    lambda_concurrency,
    dynamodb_capacity,
    kinesis_shards,
    availability_zones,
    bucket_name,
    network_interface_permissions,
)


def run_checks(needs: Needs, aws: Clients, say: Callable[[str], None]) -> list[Result]:
    """Every check, each said as it finishes; a check AWS would not answer is `?`."""
    results = []
    for check in CHECKS:
        try:
            result = check(needs, aws)
        except ClientError as error:
            name = check.__name__.replace("_", " ")
            result = Result(name, State.UNKNOWN, f"not checked: AWS said {_code(error)}")
        except BotoCoreError as error:
            name = check.__name__.replace("_", " ")
            result = Result(name, State.UNKNOWN, f"not checked: {error}")
        say(result.line)
        results.append(result)
    return results


def failed(results: list[Result]) -> list[Result]:
    return [r for r in results if r.state is State.FAILED]


def summary(results: list[Result]) -> dict[str, Any]:
    """The preflight as the run report records it."""
    return {
        "result": "failed" if failed(results) else "passed",
        "checks": [
            {"check": r.check, "state": r.state.name.lower(), "detail": r.detail, "fix": r.fix}
            for r in results
        ],
    }
