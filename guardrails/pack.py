"""The rules as a pulumi-policy pack: the engine enforces them on every preview and update.

Built from the same rule functions as `nox -s guardrails`; only the view differs: the engine hands
one stack's resources, whose tags name the environment and layer and whose provider names the
region. A value still unknown during a preview is skipped by pulumi-policy, not guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from guardrails.model import Resource, Rule, StackView
from guardrails.rules import RULES
from shared.environments import PROFILES

PACK_NAME = "trading-analytics-guardrails"


def view_from(resources: Sequence[Any]) -> StackView | None:
    """One stack as a view, or None when nothing in it says which environment it is."""
    environment = layer = region = None
    for resource in resources:
        tags = resource.props.get("tags") or {}
        if tags.get("Environment") in PROFILES and tags.get("Layer"):
            environment, layer = tags["Environment"], tags["Layer"]
        provider = getattr(resource, "provider", None)
        if provider is not None and provider.props.get("region"):
            region = provider.props["region"]
        if environment and region:
            break
    if not (environment and layer and region):
        return None
    return StackView(
        environment,
        layer,
        region,
        tuple(Resource(r.resource_type, r.name, r.props, _options(r)) for r in resources),
    )


def _options(resource: Any) -> dict[str, bool]:
    # pulumi-policy's PolicyResourceOptions carries protect, not retainOnDelete.
    opts = getattr(resource, "opts", None)
    return {"protect": bool(opts.protect)} if opts is not None else {}


def _validator(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        view = view_from(args.resources)
        if view is None:
            return
        urns = {r.name: r.urn for r in args.resources}
        for finding in rule.run(view):
            report_violation(f"{finding.resource}: {finding.message}", urns.get(finding.resource))

    return validate


def policies() -> list[StackValidationPolicy]:
    return [
        StackValidationPolicy(
            name=rule.id,
            description=f"{rule.title} (protects {rule.protects})",
            validate=_validator(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for rule in RULES
    ]
