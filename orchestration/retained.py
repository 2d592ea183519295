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
}


def explain(environment: str, kept: Sequence[tuple[StackRef, Sequence[Held]]]) -> list[str]:
    """The lines a destroy prints about what it left; none when it left nothing."""
    held = [(stack, resource) for stack, resources in kept for resource in resources]
    # Keys last: what they encrypt must be gone, or no longer needed, before they go.
    held.sort(key=lambda pair: pair[1].type == "aws:kms/key:Key")
    if not held:
        return []
    lines = [
        f"kept: {len(held)} protected stateful resource(s) of {environment} stay in AWS and in "
        "their stacks (the matrix's protect_stateful):"
    ]
    lines += [f"  {stack.name}  {r.name}  {r.type}  id {r.id}" for stack, r in held]
    lines.append("to remove them deliberately (their data goes with them): back up what you need,")
    lines.append("  then delete each in AWS:")
    lines += [
        f"  {r.name}: "
        + _REMOVE.get(r.type, "delete it in the AWS console").format(
            id=r.id, tail=r.id.rsplit("/", 1)[-1]
        )
        for _stack, r in held
    ]
    stacks = sorted({stack.name for stack, _r in held})
    lines.append(
        "  then forget them: "
        + "; ".join(f"pulumi state unprotect --all --yes --stack {name}" for name in stacks)
        + f"; and run this destroy again (nox -s destroy -- {environment} --confirm "
        f"{environment}): retained on delete, they are only dropped from the state"
    )
    return lines
