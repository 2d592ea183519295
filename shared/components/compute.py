"""The data processor: an arm64 Lambda in the private subnets, its role, its log group, and
the mapping that feeds it the trade stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.account import Account, current_account
from shared.packaging import Package
from shared.settings import ComputeSettings
from shared.stateful import stateful_options

RUNTIME = "python3.12"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: two weeks to notice and redrive
HANDLER = "handler.handler"


@dataclass(frozen=True)
class DataProcessorArgs:
    settings: ComputeSettings
    package: Package
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    stream_arn: pulumi.Input[str]
    failure_queue_arn: pulumi.Input[str]
    failure_queue_url: pulumi.Input[str]


class DataProcessor(pulumi.ComponentResource):
    """Lambda function with a least-privilege role and a log group it does not create itself."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    dead_letter_queue: aws.sqs.Queue
    stream_mapping: aws.lambda_.EventSourceMapping

    def __init__(
        self, name: str, args: DataProcessorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:compute:DataProcessor", name, None, opts)
        s = args.settings
        tags = s.context.tags
        child = pulumi.ResourceOptions(parent=self)
        account = current_account(self)

        # Created before the function so Lambda never auto-creates it with infinite retention.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=s.log_group_name,
            retention_in_days=s.log_retention_days,
            kms_key_id=args.key_arn,
            tags=tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=s.role_name,
            assume_role_policy=iam.to_json(iam.service_trust("lambda.amazonaws.com")),
            tags=tags,
            opts=child,
        )
        # An asynchronous event that fails every retry is kept here instead of dropped.
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=s.dlq_name,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            kms_master_key_id=args.key_arn,
            tags=tags,
            opts=stateful_options(s.context, self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(
                table_arn=args.table_arn,
                bucket_arn=args.bucket_arn,
                log_group_arn=self.log_group.arn,
                dlq_arn=self.dead_letter_queue.arn,
                key_arn=args.key_arn,
                stream_arn=args.stream_arn,
                failure_queue_arn=args.failure_queue_arn,
            ).apply(lambda values: iam.to_json(_policy(values, account, s.context.region))),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=s.function_name,
            runtime=RUNTIME,
            architectures=[s.architecture],
            handler=HANDLER,
            code=pulumi.FileArchive(str(args.package.path)),
            # The package is byte-stable, so this hash changes only when the sources do.
            source_code_hash=args.package.sha256_base64,
            memory_size=s.memory_mb,
            timeout=s.timeout_seconds,
            reserved_concurrent_executions=s.reserved_concurrency,
            tracing_config={"mode": "Active"},
            dead_letter_config={"target_arn": self.dead_letter_queue.arn},
            role=self.role.arn,
            kms_key_arn=args.key_arn,  # the environment variables, at rest
            environment={
                "variables": {
                    "TABLE_NAME": args.table_name,
                    "BUCKET_NAME": args.bucket_name,
                    "ENVIRONMENT": s.context.environment,
                    "FAILURE_QUEUE_URL": args.failure_queue_url,
                    "TRADE_MAX_AGE_HOURS": str(s.trade_max_age_hours),
                    "TRADE_MAX_AHEAD_SECONDS": str(s.trade_max_ahead_seconds),
                }
            },
            vpc_config={
                "subnet_ids": args.subnet_ids,
                "security_group_ids": [args.security_group_id],
            },
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            tags=tags,
            # The policy must be attached before the first invocation, and ENI creation during
            # create needs the ec2 actions in it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, policy]),
        )
        self.stream_mapping = self._stream_mapping(name, args, policy)
        self.register_outputs(
            {"function_name": self.function.name, "function_arn": self.function.arn}
        )

    def _stream_mapping(
        self, name: str, args: DataProcessorArgs, policy: aws.iam.RolePolicy
    ) -> aws.lambda_.EventSourceMapping:
        """Lambda polls the trade stream and invokes the function with batches of records.

        The function answers with the records to deliver again (ReportBatchItemFailures);
        Lambda retries from the first of them, halving the batch each time (bisection) to
        isolate a bad record, at most `max_retry_attempts` times or until the record is
        `max_record_age_seconds` old, and then sends the batch's description (shard, sequence
        numbers) to the failure queue and moves on. TRIM_HORIZON: trades put on the stream
        before the mapping existed (a first deploy, a replaced mapping) are still processed.
        """
        mapping = args.settings.stream
        return aws.lambda_.EventSourceMapping(
            f"{name}-stream",
            event_source_arn=args.stream_arn,
            function_name=self.function.arn,
            starting_position="TRIM_HORIZON",
            batch_size=mapping.batch_size,
            maximum_batching_window_in_seconds=mapping.batching_window_seconds,
            parallelization_factor=mapping.parallelization_factor,
            maximum_retry_attempts=mapping.max_retry_attempts,
            maximum_record_age_in_seconds=mapping.max_record_age_seconds,
            bisect_batch_on_function_error=True,
            function_response_types=["ReportBatchItemFailures"],
            destination_config={"on_failure": {"destination_arn": args.failure_queue_arn}},
            tags=args.settings.context.tags,
            # The mapping is validated against the role's permissions when it is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )


def _policy(values: dict[str, Any], account: Account, region: str) -> iam.PolicyDocument:
    """The inline policy, once every ARN and id it scopes to is known."""
    network = iam.NetworkScope(
        partition=account.partition,
        region=region,
        account_id=account.account_id,
    )
    return iam.data_processor_policy(**values, network=network)
