"""Destroy that finishes: before compute goes, the function leaves the VPC and destroy waits,
saying so, until Lambda has deleted its network interfaces; at the time limit or on Ctrl-C the
function is attached again and nothing is destroyed. Against moto, with interfaces described as
Lambda describes its own ("AWS Lambda VPC ENI-<function>-..."), released by a thread standing
in for Lambda."""

from __future__ import annotations

import dataclasses
import io
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from orchestration import aws
from orchestration.engine import Changes, OnOutput, StackRef
from orchestration.network_release import (
    InterfacesNotReleasedError,
    ReleaseTiming,
    release,
)
from tests.support.cli_harness import Harness

FUNCTION = "data-processor-dev-us-east-1"
ROLE = "data-processor-role-dev-us-east-1"
FAST = ReleaseTiming(limit_seconds=10, poll_seconds=0.02, report_seconds=0)


@dataclass
class Account:
    clients: aws.Clients
    subnets: list[str]
    group: str
    lambda_enis: list[str]
    other_eni: str

    def vpc_config(self) -> dict[str, Any]:
        config = self.clients("lambda").get_function_configuration(FunctionName=FUNCTION)
        return config.get("VpcConfig") or {}

    def interfaces(self) -> set[str]:
        found = self.clients("ec2").describe_network_interfaces()["NetworkInterfaces"]
        return {eni["NetworkInterfaceId"] for eni in found}

    def lambda_releases_once_unused(self, delay: float = 0.5) -> threading.Thread:
        """Lambda, deleting its interfaces `delay` seconds after the function has left the VPC
        (timed from then, not from now, so a slow machine cannot release them before the
        release has looked)."""

        def delete() -> None:
            while self.vpc_config().get("SubnetIds"):
                time.sleep(0.02)
            time.sleep(delay)
            self.delete_lambda_interfaces()

        thread = threading.Thread(target=delete, daemon=True)
        thread.start()
        return thread

    def delete_lambda_interfaces(self) -> None:
        for eni in self.lambda_enis:
            self.clients("ec2").delete_network_interface(NetworkInterfaceId=eni)

    def releasing_on_first_wait(self) -> Callable[[float], None]:
        """A `sleep` for `release`: Lambda deletes the interfaces during its first wait."""
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            if not waits:
                self.delete_lambda_interfaces()
            waits.append(seconds)

        return sleep


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """The function in its VPC with two Lambda interfaces in its group, as a deploy leaves it."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        clients = aws.clients(region="us-east-1")
        ec2 = clients("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24")["Subnet"]["SubnetId"]
            for i in (1, 2)
        ]
        group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
        other_group = ec2.create_security_group(GroupName="other", Description="other", VpcId=vpc)[
            "GroupId"
        ]
        role = clients("iam").create_role(
            RoleName=ROLE,
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
        )["Role"]["Arn"]
        clients("lambda").create_function(
            FunctionName=FUNCTION,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [group]},
        )

        def interface(subnet: str, groups: list[str], description: str) -> str:
            made = ec2.create_network_interface(
                SubnetId=subnet, Groups=groups, Description=description
            )
            return str(made["NetworkInterface"]["NetworkInterfaceId"])

        lambda_enis = [
            interface(subnet, [group], f"AWS Lambda VPC ENI-{FUNCTION}-{index}")
            for index, subnet in enumerate(subnets)
        ]
        # Neither is the function's: another service's in its group, another function's elsewhere.
        other = interface(subnets[0], [group], "ELB app/something")
        interface(subnets[0], [other_group], "AWS Lambda VPC ENI-another-function-0")
        yield Account(clients, subnets, group, lambda_enis, other)


def test_the_function_leaves_the_vpc_and_destroy_waits_until_lambda_released_it(
    account: Account,
) -> None:
    lines: list[str] = []
    account.lambda_releases_once_unused()
    released = release(account.clients, FUNCTION, None, lines.append, FAST)
    assert released.detached and released.interfaces == tuple(sorted(account.lambda_enis))
    assert account.vpc_config().get("SubnetIds") in (None, [])
    assert lines[0].startswith(f"detaching {FUNCTION} from the VPC")
    waiting = [line for line in lines if line.startswith("waiting for Lambda to release 2")]
    assert waiting and all(eni in waiting[0] for eni in account.lambda_enis)
    assert lines[-1].startswith(f"released: Lambda deleted 2 network interface(s) of {FUNCTION}")
    assert account.other_eni in account.interfaces(), "only Lambda's interfaces are waited for"


def test_at_the_time_limit_the_function_is_attached_again_and_the_error_says_what_to_do(
    account: Account,
) -> None:
    timing = dataclasses.replace(FAST, limit_seconds=0.2)
    with pytest.raises(InterfacesNotReleasedError) as caught:
        release(account.clients, FUNCTION, None, lambda _line: None, timing)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"Lambda has not released 2 network interface(s) of {FUNCTION}")
    assert all(eni in message for eni in account.lambda_enis)
    assert "nothing was destroyed" in message and "aws ec2 delete-network-interface" in message
    assert sorted(account.vpc_config()["SubnetIds"]) == sorted(account.subnets)
    assert account.vpc_config()["SecurityGroupIds"] == [account.group]


def test_ctrl_c_while_waiting_attaches_the_function_again(account: Account) -> None:
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        release(account.clients, FUNCTION, None, lambda _line: None, FAST, sleep=interrupted)
    assert sorted(account.vpc_config()["SubnetIds"]) == sorted(account.subnets)


def test_a_function_already_gone_still_has_its_leftovers_waited_for_by_its_group(
    account: Account,
) -> None:
    account.clients("lambda").delete_function(FunctionName=FUNCTION)
    lines: list[str] = []
    waits = account.releasing_on_first_wait()
    released = release(account.clients, FUNCTION, account.group, lines.append, FAST, sleep=waits)
    assert not released.detached and len(released.interfaces) == 2
    assert not any(line.startswith("detaching") for line in lines)
    # Nothing to wait for and no group known: nothing said, nothing done.
    quiet: list[str] = []
    assert release(account.clients, FUNCTION, None, quiet.append, FAST).interfaces == ()
    assert quiet == []


def test_destroy_releases_the_interfaces_before_compute_and_the_role_goes_last(
    harness: Harness, account: Account
) -> None:
    harness.engine.exports = {
        "compute": {"lambda_function_name": FUNCTION, "lambda_role_arn": ROLE},
        "network": {"lambda_security_group_id": account.group},
    }

    def runtime(clients: aws.Clients) -> Any:
        return dataclasses.replace(harness.runtime(clients), release_timing=FAST)

    deployed = harness.run_with(runtime, ("deploy", "dev", "--target", "aws", "--skip-preflight"))
    assert deployed.code == 0, deployed.err
    seen_by_engine: list[tuple[str, set[str]]] = []
    destroy = harness.engine.destroy

    def engine_destroy(stack: StackRef, *, on_output: OnOutput, keep_protected: bool) -> Changes:
        # What the engine finds when it starts on a layer; compute's delete order is the
        # engine's own (the function, then the role that it depends on).
        left = account.interfaces() & set(account.lambda_enis)
        seen_by_engine.append((stack.layer.name, left))
        if stack.layer.name == "compute":
            account.clients("lambda").delete_function(FunctionName=FUNCTION)
            account.clients("iam").delete_role(RoleName=ROLE)
        return destroy(stack, on_output=on_output, keep_protected=keep_protected)

    harness.engine.destroy = engine_destroy  # type: ignore[method-assign]
    account.lambda_releases_once_unused()
    result = harness.run_with(runtime, ("destroy", "dev", "--target", "aws"), account.clients)
    assert result.code == 0, result.out + result.err
    assert seen_by_engine[0] == ("compute", set()), "Lambda's interfaces were gone first"
    # data and network go together, after compute.
    assert sorted(layer for layer, _ in seen_by_engine[1:]) == ["data", "network"]
    out = result.out
    assert out.index("[compute] detaching") < out.index("[compute] released:")
    assert out.index("[compute] released:") < out.index("[compute] destroy ")


def test_a_destroy_that_reaches_the_limit_destroys_nothing_and_fails_in_one_line(
    harness: Harness, account: Account
) -> None:
    harness.engine.exports = {"compute": {"lambda_function_name": FUNCTION}}

    def runtime(clients: aws.Clients) -> Any:
        timing = dataclasses.replace(FAST, limit_seconds=0.2)
        return dataclasses.replace(harness.runtime(clients), release_timing=timing)

    assert harness.run_with(runtime, ("deploy", "dev", "--target", "aws", "--skip-preflight"))
    result = harness.run_with(runtime, ("destroy", "dev", "--target", "aws"), account.clients)
    assert result.code == 1
    assert result.err.startswith("error: Lambda has not released 2 network interface(s)")
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert harness.engine.operations("destroy") == []
    assert sorted(account.vpc_config()["SubnetIds"]) == sorted(account.subnets)
