"""Stateful resources: the ones whose deletion or replacement loses or moves data.

One list, read by the components (which protect them), the guardrail rule (which checks they are)
and the replacement guard (which refuses to replace or delete them unnamed). Where the matrix says
`protect_stateful`, each is created with Pulumi's `protect` (the engine refuses to delete or
replace it; a destroy must exclude it) and `retainOnDelete` (even once unprotected, deleting it
from the stack leaves it in AWS): taking production data away is always a deliberate act
outside the platform (README "Destroying production").

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


def stateful_options(
    context: StackContext, parent: pulumi.Resource, **options: Any
) -> pulumi.ResourceOptions:
    """The options of a stateful resource: its parent, and protection as the matrix says."""
    protect = context.profile.protect_stateful
    return pulumi.ResourceOptions(
        parent=parent, protect=protect, retain_on_delete=protect, **options
    )
