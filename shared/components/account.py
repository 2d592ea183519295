"""The AWS account and partition the stack deploys into, for ARNs and confused-deputy guards."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Account:
    account_id: str
    partition: str


def current_account(parent: pulumi.Resource) -> Account:
    lookup = pulumi.InvokeOptions(parent=parent)
    return Account(
        aws.get_caller_identity(opts=lookup).account_id,
        aws.get_partition(opts=lookup).partition,
    )
