"""The CLI double answers the real Automation API as the Pulumi CLI's source says the CLI does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from tests.support.checkout import Checkout, make_checkout

pytestmark = pytest.mark.slow


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return make_checkout(tmp_path)


def _workspace(checkout: Checkout, backend: Path) -> Any:
    backend.mkdir(exist_ok=True)
    env = {
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "test",
        "PULUMI_DOUBLE_BUCKETS": checkout.env["PULUMI_DOUBLE_BUCKETS"],
        "PYTHONPATH": str(checkout.path),
    }
    return auto.LocalWorkspace(
        work_dir=str(checkout.path / "stacks" / "network"),
        env_vars=env,
        pulumi_command=auto.PulumiCommand(root=str(checkout.double)),
    )


def test_history_is_newest_first_and_paged(checkout: Checkout, tmp_path: Path) -> None:
    stack = auto.Stack.create_or_select(
        "organization/trading-network/dev", _workspace(checkout, tmp_path / "state")
    )
    for message in ("first", "second"):
        stack.up(message=message, color="never")
    assert [entry.message for entry in stack.history()] == ["second", "first"]
    assert [entry.message for entry in stack.history(page_size=1, page=2)] == ["first"]
    latest = stack.info()  # the Automation API's own reading: history[0] is the latest
    assert latest is not None and latest.message == "second"
    assert stack.outputs()["environment"].value == "dev"


def test_stack_init_writes_the_salt_into_the_program_directory(
    checkout: Checkout, tmp_path: Path
) -> None:
    auto.Stack.create("organization/trading-network/dev", _workspace(checkout, tmp_path / "s"))
    stack_file = checkout.path / "stacks" / "network" / "Pulumi.dev.yaml"
    assert "encryptionsalt: v1:" in stack_file.read_text()
    assert checkout.dirty() == [" M stacks/network/Pulumi.dev.yaml"]


def test_self_managed_backends_take_only_the_organization_org(
    checkout: Checkout, tmp_path: Path
) -> None:
    with pytest.raises(auto.errors.CommandError, match="organization name must be"):
        auto.Stack.create_or_select(
            "acme/trading-network/dev", _workspace(checkout, tmp_path / "s")
        )


def test_missing_stacks_unknown_flags_and_held_locks_fail_as_the_cli_does(
    checkout: Checkout, tmp_path: Path
) -> None:
    workspace = _workspace(checkout, tmp_path / "s")
    with pytest.raises(auto.errors.StackNotFoundError):
        auto.Stack.select("organization/trading-network/dev", workspace)
    stack = auto.Stack.create("organization/trading-network/dev", workspace)
    with pytest.raises(auto.errors.CommandError, match="unknown flag: --bogus"):
        workspace.pulumi_command.run(["up", "--bogus"], str(checkout.path), {})
    lock = tmp_path / "s" / ".pulumi" / "locks" / "organization" / "trading-network" / "dev"
    lock.mkdir(parents=True)
    (lock / "other.json").write_text("{}")
    with pytest.raises(auto.errors.ConcurrentUpdateError):
        stack.up(color="never")


def test_config_is_read_and_written_in_the_project_stack_file(
    checkout: Checkout, tmp_path: Path
) -> None:
    workspace = _workspace(checkout, tmp_path / "s")
    stack = auto.Stack.create("organization/trading-network/dev", workspace)
    stack.set_config("az_count", auto.ConfigValue("3"))
    assert stack.get_config("az_count").value == "3"
    assert stack.get_all_config()["aws:region"].value == "us-east-1"
    stack_file = checkout.path / "stacks" / "network" / "Pulumi.dev.yaml"
    assert "trading-network:az_count: '3'" in stack_file.read_text()


def test_a_protected_resource_fails_a_destroy_unless_excluded_and_stays_in_the_export(
    checkout: Checkout, tmp_path: Path
) -> None:
    stack = auto.Stack.create_or_select(
        "organization/trading-network/production", _workspace(checkout, tmp_path / "state")
    )
    stack.up(color="never")
    exported = (stack.export_stack().deployment or {})["resources"]
    [key] = [r for r in exported if r.get("protect")]
    assert key["type"] == "aws:kms/key:Key" and key["retainOnDelete"] is True
    assert not any("protect" in r for r in exported if r is not key), "omitted when false"
    with pytest.raises(auto.errors.CommandError, match="because it is protected"):
        stack.destroy(color="never")
    stack.destroy(color="never", exclude_protected=True)
    left = (stack.export_stack().deployment or {})["resources"]
    # The key and its parent component remain (TransitiveDependenciesOf); the VPC is gone.
    assert {r["type"] for r in left} == {"aws:kms/key:Key", "trading:shared:EncryptionKey"}
    assert stack.outputs(), "the stack resource keeps its outputs with what is left under it"
