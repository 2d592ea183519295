"""Stateful resources: the ones whose deletion or replacement loses or moves data.

One list, read by the components (which protect them), the guardrail rule (which checks they are)
and the replacement guard (which refuses to replace or delete them unnamed). Where the matrix says
`protect_stateful`, each is created with Pulumi's `protect` (the engine refuses to delete or
replace it; a destroy must exclude it) and `retainOnDelete` (even once unprotected, deleting it
from the stack leaves it in AWS): taking production data away is always a deliberate act
outside the platform (README "Destroying production").

What guards kept data is kept with it (`GUARD_TYPES`, the same options): the bucket's TLS-only
policy, public-access block, encryption configuration, ownership, versioning and lifecycle, and
the table's autoscaling with its market-hours schedule. Deleted with the stack, a kept bucket
would lose its protections and a kept provisioned table would freeze at its last capacity,
still billed.

Log groups are left out on purpose: they hold diagnostics, not trades, and expire on their own
retention; the function's dead-letter and failure queues are in, since they hold the only copy
of a trade that failed every retry.
"""

from __future__ import annotations

from typing import Any

import pulumi

from shared.settings import StackContext

STATEFUL_TYPES = frozenset(
    {
        "aws:dynamodb/table:Table",
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:kinesis/stream:Stream",
        "aws:sqs/queue:Queue",
    }
)


GUARD_TYPES = frozenset(
    {
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:appautoscaling/target:Target",
        "aws:appautoscaling/policy:Policy",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
    }
)
# Everything a protected environment keeps when it is destroyed.
KEPT_TYPES = STATEFUL_TYPES | GUARD_TYPES


def stateful_options(
    context: StackContext, parent: pulumi.Resource, **options: Any
) -> pulumi.ResourceOptions:
    """The options of a stateful resource, or of one guarding it (GUARD_TYPES): its parent, and
    protection as the matrix says."""
    protect = context.profile.protect_stateful
    return pulumi.ResourceOptions(
        parent=parent, protect=protect, retain_on_delete=protect, **options
    )
