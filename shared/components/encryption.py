"""Customer-managed KMS keys: rotated, and usable only as their policy says."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.account import current_account
from shared.settings import StackContext
from shared.stateful import stateful_options

DELETION_WINDOW_DAYS = 30  # AWS's maximum: a key scheduled for deletion by mistake can be saved


@dataclass(frozen=True)
class EncryptionKeyArgs:
    context: StackContext
    # The key's name part (`alias/<purpose>-<env>-<region>`) and what it encrypts.
    purpose: str
    description: str
    # Whether the key encrypts the alarm topic, so CloudWatch may use it to publish alarms.
    alarm_topics: bool = False


class EncryptionKey(pulumi.ComponentResource):
    """One key per environment and owning layer.

    The data layer's key encrypts the table, the archive, the stream, the queues, the function's
    logs and environment (the compute layer reads its ARN). The network layer owns one for its
    flow logs, so that layer deploys and is destroyed without reading the data layer.
    """

    key: aws.kms.Key

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:shared:EncryptionKey", name, None, opts)
        ctx = args.context
        account = current_account(self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.description}, {ctx.environment} ({ctx.region})",
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=iam.to_json(
                iam.key_policy(
                    account.partition,
                    account.account_id,
                    ctx.region,
                    alarm_topics=args.alarm_topics,
                )
            ),
            tags=ctx.tags,
            opts=stateful_options(ctx, self),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{ctx.naming.name(args.purpose)}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"arn": self.key.arn})
