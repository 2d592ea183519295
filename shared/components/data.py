"""The analytics table, the archive bucket, and the trade stream with its failure queue."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.environments import BillingMode, MarketHours
from shared.settings import DataSettings
from shared.stateful import stateful_options

# Target utilisation for DynamoDB autoscaling: headroom for bursts at the open and close.
AUTOSCALING_TARGET_PERCENT = 70.0
# Archive tiering: trades are read often for a month, rarely for a quarter, then kept cold.
ARCHIVE_PREFIX = "trades/"
INFREQUENT_ACCESS_AFTER_DAYS = 30
GLACIER_AFTER_DAYS = 90
NONCURRENT_EXPIRY_DAYS = 365
ABORT_MULTIPART_AFTER_DAYS = 7
# SQS's maximum: two weeks to notice a failed record and redrive it.
FAILURE_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class DataStoreArgs:
    settings: DataSettings
    key_arn: pulumi.Input[str]


class AnalyticsTable(pulumi.ComponentResource):
    """DynamoDB table keyed by `pk`/`sk`, encrypted, recoverable, autoscaled when provisioned."""

    table: aws.dynamodb.Table

    def __init__(
        self, name: str, args: DataStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:data:AnalyticsTable", name, None, opts)
        s = args.settings
        provisioned = s.billing_mode is BillingMode.PROVISIONED
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=s.table_name,
            billing_mode=s.billing_mode.value,
            hash_key="pk",
            range_key="sk",
            attributes=[{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}],
            read_capacity=s.min_capacity if provisioned else None,
            write_capacity=s.min_capacity if provisioned else None,
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": args.key_arn},
            deletion_protection_enabled=s.protected,
            tags=s.context.tags,
            # Autoscaling moves capacity at run time; without this every refresh shows drift
            # and every update would reset capacity to the floor.
            opts=stateful_options(
                s.context,
                self,
                ignore_changes=["read_capacity", "write_capacity"] if provisioned else None,
            ),
        )
        if provisioned:
            for dimension in ("Read", "Write"):
                self._autoscale(name, dimension, s)
        self.register_outputs({"name": self.table.name, "arn": self.table.arn})

    def _autoscale(self, name: str, dimension: str, s: DataSettings) -> None:
        scheduled = dimension == "Write" and s.market_hours is not None
        target = aws.appautoscaling.Target(
            f"{name}-{dimension.lower()}-target",
            service_namespace="dynamodb",
            resource_id=self.table.name.apply(lambda table: f"table/{table}"),
            scalable_dimension=f"dynamodb:table:{dimension}CapacityUnits",
            min_capacity=s.min_capacity,
            max_capacity=s.max_capacity,
            tags=s.context.tags,
            # Kept with the table it scales. Where the market-hours schedule moves the write
            # floor, the minimum is the schedule's: a deploy in the session must not drop it
            # back (a changed min_capacity reaches the target through the closing action).
            opts=stateful_options(
                s.context, self, ignore_changes=["min_capacity"] if scheduled else None
            ),
        )
        aws.appautoscaling.Policy(
            f"{name}-{dimension.lower()}-policy",
            name=s.context.naming.name(f"analytics-table-{dimension.lower()}-scaling"),
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": AUTOSCALING_TARGET_PERCENT,
                "predefined_metric_specification": {
                    "predefined_metric_type": f"DynamoDB{dimension}CapacityUtilization"
                },
            },
            opts=stateful_options(s.context, self),
        )
        if scheduled:
            assert s.market_hours is not None
            self._market_hours(name, target, s.market_hours, s)

    def _market_hours(
        self, name: str, target: aws.appautoscaling.Target, hours: MarketHours, s: DataSettings
    ) -> None:
        """The write floor raised before the open and lowered after the close, in the
        exchange's zone (so daylight saving moves it with the market, not with UTC)."""
        for moment, (hour, minute), floor in (
            ("open", hours.raise_at, hours.floor_capacity),
            ("close", hours.lower_at, s.min_capacity),
        ):
            aws.appautoscaling.ScheduledAction(
                f"{name}-write-market-{moment}",
                name=s.context.naming.name(f"analytics-table-market-{moment}"),
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                # Application Auto Scaling's cron: minutes hours day-of-month month weekday year.
                schedule=f"cron({minute} {hour} ? * {hours.days} *)",
                timezone=hours.timezone,
                scalable_target_action={"min_capacity": floor, "max_capacity": s.max_capacity},
                opts=stateful_options(s.context, self),
            )


class ArchiveBucket(pulumi.ComponentResource):
    """Private, encrypted, TLS-only S3 bucket with tiering; versioned where the profile says."""

    bucket: aws.s3.Bucket

    def __init__(
        self, name: str, args: DataStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:data:ArchiveBucket", name, None, opts)
        s = args.settings
        # What guards the bucket is kept with it (shared/stateful.py, GUARD_TYPES).
        child = stateful_options(s.context, self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=s.bucket_name,
            # Emptying a bucket on destroy is a convenience for throwaway environments only.
            force_destroy=not s.protected,
            tags=s.context.tags,
            opts=stateful_options(s.context, self),
        )
        bucket_id = self.bucket.id
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.key_arn,
                    },
                    # Bucket keys cut KMS requests (and their cost) by orders of magnitude.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        # "Disabled" (never versioned) is only valid on creation; recorded so the state is explicit.
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled" if s.versioning else "Disabled"},
            opts=child,
        )
        rule: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "archive-tiering",
            "status": "Enabled",
            "filter": {"prefix": ARCHIVE_PREFIX},
            "transitions": [
                {"days": INFREQUENT_ACCESS_AFTER_DAYS, "storage_class": "STANDARD_IA"},
                {"days": GLACIER_AFTER_DAYS, "storage_class": "GLACIER_IR"},
            ],
        }
        if s.versioning:
            rule["noncurrent_version_expiration"] = {"noncurrent_days": NONCURRENT_EXPIRY_DAYS}
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                rule,
                {
                    "id": "abort-incomplete-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": ABORT_MULTIPART_AFTER_DAYS
                    },
                },
            ],
            # S3 rejects lifecycle rules on versioned buckets until versioning has settled.
            opts=stateful_options(s.context, self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket_id,
            policy=self.bucket.arn.apply(lambda arn: iam.to_json(iam.deny_insecure_transport(arn))),
            # Policies and public-access settings race on a new bucket; settle the block first.
            opts=stateful_options(s.context, self, depends_on=[public_access]),
        )
        self.register_outputs({"name": self.bucket.bucket, "arn": self.bucket.arn})


class TradeStream(pulumi.ComponentResource):
    """The Kinesis stream producers put trades on, and the queue where failed records go.

    Provisioned shards (the matrix's `stream_shards`): the count producers spread a symbol's
    lanes over (docs/data-processor.md, "Producing trades"), so it must be known and fixed, not
    resized by on-demand mode behind the producers' backs. Encrypted with the platform key.
    The failure queue is the event source mapping's on-failure destination and where the
    function sends records that can never succeed; it lives here, with the data, so that
    replacing the compute layer never loses what is waiting in it.
    """

    stream: aws.kinesis.Stream
    failure_queue: aws.sqs.Queue

    def __init__(
        self, name: str, args: DataStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:data:TradeStream", name, None, opts)
        s = args.settings
        self.stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=s.stream_name,
            shard_count=s.stream_shards,
            retention_period=s.stream_retention_hours,
            stream_mode_details={"stream_mode": "PROVISIONED"},
            encryption_type="KMS",
            kms_key_id=args.key_arn,
            # A protected environment's trades are not one `destroy` away from deletion.
            enforce_consumer_deletion=not s.protected,
            tags=s.context.tags,
            opts=stateful_options(s.context, self),
        )
        self.failure_queue = aws.sqs.Queue(
            f"{name}-failures",
            name=s.failure_queue_name,
            message_retention_seconds=FAILURE_RETENTION_SECONDS,
            kms_master_key_id=args.key_arn,
            tags=s.context.tags,
            opts=stateful_options(s.context, self),
        )
        self.register_outputs(
            {
                "stream_name": self.stream.name,
                "stream_arn": self.stream.arn,
                "failure_queue_arn": self.failure_queue.arn,
                "failure_queue_url": self.failure_queue.url,
            }
        )
