"""Before compute is destroyed: the function leaves the VPC and Lambda releases its interfaces.

Lambda deletes a function's Hyperplane network interfaces itself, with the execution role's
permissions, up to 20 minutes after the function stops using them (Lambda developer guide,
"Deleting ENIs"; terraform-aws-modules/terraform-aws-lambda #310). The engine deletes the
function and then its role at once, so Lambda is left without the permissions, the interfaces
stay, and deleting the network layer's subnets and group waits on them and fails. So destroy
detaches the function from the VPC first (UpdateFunctionConfiguration with an empty VpcConfig)
and waits, with progress, until no Lambda interface is left in the function's security group;
only then does the engine delete the function and, after it, the role.

Lambda creates one interface per (subnet, security group) pair and describes it
"AWS Lambda VPC ENI-<function>-..."; the group is the function's own (shared/components/
network.py), so the group and that description find exactly its interfaces. When the time limit
is reached, or on Ctrl-C, the function is attached again as its stack records it, so nothing is
destroyed and the state stays true.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.aws import Clients
from shared.errors import PlatformError

LAMBDA_ENI_DESCRIPTION = "AWS Lambda VPC ENI"
Log = Callable[[str], None]


@dataclass(frozen=True)
class ReleaseTiming:
    """How long destroy waits for Lambda, and how often it looks (tests shorten both)."""

    # Lambda's documented delay is up to 20 minutes: the limit leaves that twice, plus room.
    limit_seconds: float = 45 * 60
    poll_seconds: float = 15.0
    # Progress is said at most this often (every poll would be a line each 15 s).
    report_seconds: float = 60.0


@dataclass(frozen=True)
class Released:
    """What the release did: whether the function had to be detached, what it waited for."""

    function: str
    detached: bool
    interfaces: tuple[str, ...]
    seconds: float


class InterfacesNotReleasedError(PlatformError):
    """Lambda still holds network interfaces of the function when the time limit is reached."""


def release(
    clients: Clients,
    function: str,
    security_group: str | None,
    say: Log,
    timing: ReleaseTiming = ReleaseTiming(),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Released:
    """Detach `function` from its VPC and wait until Lambda has deleted its interfaces."""
    lambda_, ec2 = clients("lambda"), clients("ec2")
    started = clock()
    config = _configuration(lambda_, function)
    vpc = (config or {}).get("VpcConfig") or {}
    attached = {
        "SubnetIds": list(vpc.get("SubnetIds") or []),
        "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or []),
    }
    group = (attached["SecurityGroupIds"] or [security_group])[0]
    if group is None:
        return Released(function, False, (), 0.0)
    detached = bool(attached["SubnetIds"])
    if detached:
        say(
            f"detaching {function} from the VPC, so Lambda deletes its network interfaces while "
            "its role still exists"
        )
        _update_vpc(lambda_, function, {"SubnetIds": [], "SecurityGroupIds": []}, clock, sleep)
    seen: set[str] = set()
    last_said = float("-inf")
    try:
        while True:
            held = _lambda_interfaces(ec2, group)
            seen.update(held)
            waited = clock() - started
            if not held:
                if seen:
                    say(
                        f"released: Lambda deleted {len(seen)} network interface(s) of "
                        f"{function} ({_duration(waited)})"
                    )
                return Released(function, detached, tuple(sorted(seen)), waited)
            if waited >= timing.limit_seconds:
                raise InterfacesNotReleasedError(_not_released(function, held, timing, detached))
            if clock() - last_said >= timing.report_seconds:
                last_said = clock()
                listed = ", ".join(f"{eni} ({status})" for eni, status in sorted(held.items()))
                say(
                    f"waiting for Lambda to release {len(held)} network interface(s) of "
                    f"{function}: {listed}; {_duration(waited)} of at most "
                    f"{_duration(timing.limit_seconds)} (Lambda takes up to 20 minutes)"
                )
            sleep(timing.poll_seconds)
    except (InterfacesNotReleasedError, KeyboardInterrupt):
        if detached:  # back as its stack records it: nothing was destroyed
            _update_vpc(lambda_, function, attached, clock, sleep)
        raise


def _configuration(lambda_: Any, function: str) -> dict[str, Any] | None:
    try:
        return dict(lambda_.get_function_configuration(FunctionName=function))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None  # already gone: what it left is still looked for, by its group
        raise PlatformError(f"cannot read {function} before destroying it: {error}") from None
    except BotoCoreError as error:
        raise PlatformError(f"cannot read {function} before destroying it: {error}") from None


def _update_vpc(
    lambda_: Any,
    function: str,
    vpc: dict[str, list[str]],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    try:
        lambda_.update_function_configuration(FunctionName=function, VpcConfig=vpc)
        # An update is asynchronous: LastUpdateStatus is InProgress until it applies (Lambda
        # developer guide, "Lambda function states"); a VPC change takes seconds to minutes.
        deadline = clock() + 15 * 60
        while True:
            config = lambda_.get_function_configuration(FunctionName=function)
            status = config.get("LastUpdateStatus", "Successful")
            if status == "Successful":
                return
            if status == "Failed" or clock() >= deadline:
                reason = config.get("LastUpdateStatusReason") or status
                raise PlatformError(f"changing the VPC of {function} failed: {reason}")
            sleep(2.0)
    except (ClientError, BotoCoreError) as error:
        raise PlatformError(f"changing the VPC of {function} failed: {error}") from None


def _lambda_interfaces(ec2: Any, group: str) -> dict[str, str]:
    """Lambda's interfaces in the function's group: id -> status."""
    try:
        pages = ec2.get_paginator("describe_network_interfaces").paginate(
            Filters=[{"Name": "group-id", "Values": [group]}]
        )
        return {
            eni["NetworkInterfaceId"]: eni.get("Status", "")
            for page in pages
            for eni in page["NetworkInterfaces"]
            if (eni.get("Description") or "").startswith(LAMBDA_ENI_DESCRIPTION)
        }
    except (ClientError, BotoCoreError) as error:
        raise PlatformError(f"cannot list the network interfaces of {group}: {error}") from None


def _not_released(
    function: str, held: dict[str, str], timing: ReleaseTiming, detached: bool
) -> str:
    ids = " ".join(sorted(held))
    back = "attached again as its stack records it" if detached else "left as it was"
    return (
        f"Lambda has not released {len(held)} network interface(s) of {function} after "
        f"{_duration(timing.limit_seconds)} ({ids}): nothing was destroyed and the function is "
        f"{back}; run the destroy again later, or delete each once its status is 'available' "
        "(aws ec2 delete-network-interface --network-interface-id ID) and run it again"
    )


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"
