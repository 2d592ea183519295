"""The platform's customer-managed KMS key: rotated, and usable only as its policy says."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.account import current_account
from shared.settings import DataSettings

DELETION_WINDOW_DAYS = 30  # AWS's maximum: a key scheduled for deletion by mistake can be saved


@dataclass(frozen=True)
class EncryptionKeyArgs:
    settings: DataSettings


class EncryptionKey(pulumi.ComponentResource):
    """One key per environment for the table, the archive, the function's logs, env and DLQ."""

    key: aws.kms.Key

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:data:EncryptionKey", name, None, opts)
        s = args.settings
        ctx = s.context
        account = current_account(self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Trading analytics data, {ctx.environment} ({ctx.region})",
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=iam.to_json(iam.key_policy(account.partition, account.account_id, ctx.region)),
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{ctx.naming.name('trading-analytics-key')}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"arn": self.key.arn})
