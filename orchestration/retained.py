"""What a destroy leaves where the matrix protects stateful resources, and how to remove each
deliberately (docs/deploying.md, "Protecting production")."""

from __future__ import annotations

from collections.abc import Sequence

from orchestration.engine import Held, StackRef

# How each stateful type is deleted by hand (AWS CLI), by its physical id as Pulumi records it.
_REMOVE = {
    "aws:dynamodb/table:Table": (
        "aws dynamodb update-table --table-name {id} --no-deletion-protection-enabled; "
        "aws dynamodb delete-table --table-name {id}"
    ),
    "aws:s3/bucket:Bucket": (
        "delete every object version in s3://{id} (it is versioned), then "
        "aws s3api delete-bucket --bucket {id}"
    ),
    "aws:kms/key:Key": (
        "aws kms schedule-key-deletion --key-id {id} --pending-window-in-days 30 "
        "(last: whatever it encrypted is unreadable after that)"
    ),
    # The provider's id of a stream is its ARN (an import takes the name): the name is its tail.
    "aws:kinesis/stream:Stream": "aws kinesis delete-stream --stream-name {tail}",
    "aws:sqs/queue:Queue": "aws sqs delete-queue --queue-url {id}",
    # What guards the bucket goes with it; the table's autoscaling is deregistered (its id is
    # the target's resource id, table/NAME; a policy's, its name).
    "aws:appautoscaling/target:Target": (
        "aws application-autoscaling deregister-scalable-target --service-namespace dynamodb "
        "--resource-id {id} --scalable-dimension {dimension} "
        "(its policies and scheduled actions go with it: DeregisterScalableTarget deletes them)"
    ),
}
_WITH_BUCKET = "goes with its bucket (deleting the bucket deletes it)"
_WITH_TARGET = "goes with its scalable target"
_GOES_WITH = {
    "aws:s3/bucketPolicy:BucketPolicy": _WITH_BUCKET,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _WITH_BUCKET,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _WITH_BUCKET
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _WITH_BUCKET,
    "aws:s3/bucketVersioning:BucketVersioning": _WITH_BUCKET,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _WITH_BUCKET,
    "aws:appautoscaling/policy:Policy": _WITH_TARGET,
    "aws:appautoscaling/scheduledAction:ScheduledAction": _WITH_TARGET,
}


def _removal(resource: Held) -> str:
    if resource.type in _GOES_WITH:
        return _GOES_WITH[resource.type]
    dimension = (
        "dynamodb:table:ReadCapacityUnits"
        if "read" in resource.name
        else "dynamodb:table:WriteCapacityUnits"
    )
    return _REMOVE.get(resource.type, "delete it in the AWS console").format(
        id=resource.id, tail=resource.id.rsplit("/", 1)[-1], dimension=dimension
    )


def explain(environment: str, kept: Sequence[tuple[StackRef, Sequence[Held]]]) -> list[str]:
    """The lines a destroy prints about what it left; none when it left nothing."""
    held = [(stack, resource) for stack, resources in kept for resource in resources]
    # Keys last: what they encrypt must be gone, or no longer needed, before they go.
    held.sort(key=lambda pair: pair[1].type == "aws:kms/key:Key")
    if not held:
        return []
    lines = [
        f"kept: {len(held)} protected resource(s) of {environment}, the stateful ones and what "
        "guards them, stay in AWS and in their stacks (the matrix's protect_stateful):"
    ]
    lines += [f"  {stack.name}  {r.name}  {r.type}  id {r.id}" for stack, r in held]
    lines.append("to remove them deliberately (their data goes with them): back up what you need,")
    lines.append("  then delete each in AWS:")
    lines += [f"  {r.name}: {_removal(r)}" for _stack, r in held]
    stacks = sorted({stack.name for stack, _r in held})
    lines.append(
        "  then forget them: "
        + "; ".join(f"pulumi state unprotect --all --yes --stack {name}" for name in stacks)
        + f"; and run this destroy again (nox -s destroy -- {environment} --confirm "
        f"{environment}): retained on delete, they are only dropped from the state"
    )
    return lines
