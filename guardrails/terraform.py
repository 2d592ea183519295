"""A synthesized environment as a Terraform plan (JSON), so Terraform scanners can read it.

pulumi-aws bridges the Terraform AWS provider, so its resources are Terraform's under other
spellings. The export follows Terraform's plan format (`terraform show -json`, format 1.2):
- type tokens become Terraform types: `aws:<module>/<camel>:<Name>` -> `aws_<module>_<snake>`,
  except EC2's module, whose Terraform types carry no module (`aws:ec2/vpc:Vpc` -> `aws_vpc`);
- camelCase inputs become snake_case attributes; nested objects become blocks (lists of one
  object), except the maps Terraform keeps as maps (`tags`, a function's `variables`);
- a value that is another resource's id, ARN, name or URL (as the synth's fake cloud computes
  them, deterministically) is left out of `planned_values`, as Terraform leaves values known only
  after apply, and recorded in `configuration` as a reference to that resource; this is how
  checkov's graph checks connect, say, a bucket policy to its bucket.
Components and StackReferences have no Terraform counterpart and are not exported; the
resources of all three layers go into one module, so references between layers connect too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from synth.fake_cloud import FakeCloud

FORMAT_VERSION = "1.2"
# Blocks Terraform keeps as maps of strings, not as nested blocks.
MAPS = frozenset({"tags", "tags_all", "variables"})
# Pulumi-only inputs with no Terraform attribute (the Lambda package is a Pulumi asset).
DROPPED = frozenset({"code"})
# The bridge names a repeatable block in the plural (`rules`); Terraform names it as written
# once in HCL (`rule`). The plurals the platform's resources use:
SINGULAR = {"rules": "rule", "transitions": "transition", "attributes": "attribute"}
# What another resource may reference, by the computed output that names it.
_REFERABLE = ("arn", "url", "prefixListId", "keyId", "uuid")
# Inputs that others read back by reference (an autoscaling policy names its target by the
# target's resource_id, as `aws_appautoscaling_target.x.resource_id` in HCL).
_REFERABLE_INPUTS = {"aws:appautoscaling/target:Target": ("resourceId",)}


@dataclass(frozen=True)
class Exported:
    address: str
    type: str
    name: str
    layer: str
    pulumi_type: str
    pulumi_name: str


def terraform_type(token: str) -> str | None:
    """`aws:s3/bucket:Bucket` -> `aws_s3_bucket`; None for what Terraform has no type for."""
    match = re.fullmatch(r"aws:([a-z0-9]+)/[A-Za-z0-9]+:([A-Za-z0-9]+)", token)
    if not match:
        return None
    module, name = match.groups()
    prefix = "" if module == "ec2" else f"{module}_"
    return f"aws_{prefix}{snake(name)}"


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower().replace("-", "_")


def to_plan(document: Mapping[str, Any]) -> dict[str, Any]:
    """The environment as a Terraform plan: planned values plus configuration references."""
    resources = list(_exportable(document))
    index = _reference_index(document, resources)
    planned, configured = [], []
    for exported, inputs in resources:
        values, expressions = _convert(inputs, index, exported.address)
        planned.append(
            {
                "address": exported.address,
                "mode": "managed",
                "type": exported.type,
                "name": exported.name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            }
        )
        configured.append(
            {
                "address": exported.address,
                "mode": "managed",
                "type": exported.type,
                "name": exported.name,
                "provider_config_key": "aws",
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": [
            {
                "address": p["address"],
                "mode": "managed",
                "type": p["type"],
                "name": p["name"],
                "provider_name": p["provider_name"],
                "change": {"actions": ["create"], "before": None, "after": p["values"]},
            }
            for p in planned
        ],
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": "registry.terraform.io/hashicorp/aws",
                    "expressions": {"region": {"constant_value": document["region"]}},
                }
            },
            "root_module": {"resources": configured},
        },
    }


def exported_resources(document: Mapping[str, Any]) -> list[Exported]:
    return [exported for exported, _ in _exportable(document)]


def _exportable(document: Mapping[str, Any]) -> Iterator[tuple[Exported, Mapping[str, Any]]]:
    for layer in document["layers"]:
        for resource in layer["resources"]:
            tf_type = terraform_type(resource["type"])
            if tf_type is None:
                continue
            name = snake(f"{layer['layer']}-{resource['name']}")
            yield (
                Exported(
                    f"{tf_type}.{name}",
                    tf_type,
                    name,
                    layer["layer"],
                    resource["type"],
                    resource["name"],
                ),
                resource["inputs"],
            )


def _reference_index(
    document: Mapping[str, Any], resources: list[tuple[Exported, Mapping[str, Any]]]
) -> dict[str, str]:
    """Every id, ARN, name and URL the fake cloud gave a resource -> `<address>.<attribute>`."""
    cloud = FakeCloud(document["region"])
    index: dict[str, str] = {}
    for exported, inputs in resources:
        args = SimpleNamespace(
            typ=exported.pulumi_type, name=exported.pulumi_name, inputs=dict(inputs), custom=True
        )
        physical_id, state = cloud.new_resource(args)  # type: ignore[arg-type]
        if physical_id and not physical_id.startswith(("arn:", "http")):
            index.setdefault(physical_id, f"{exported.address}.id")
        for key in (*_REFERABLE, *_REFERABLE_INPUTS.get(exported.pulumi_type, ())):
            value = state.get(key)
            if isinstance(value, str) and value:
                index.setdefault(value, f"{exported.address}.{snake(key)}")
    return index


def _convert(
    inputs: Mapping[str, Any], index: Mapping[str, str], own: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(planned values, configuration expressions) of one resource's inputs."""
    values: dict[str, Any] = {}
    expressions: dict[str, Any] = {}
    for key, value in inputs.items():
        attribute = snake(key)
        if attribute in DROPPED:
            continue
        if attribute in MAPS and isinstance(value, Mapping):
            values[attribute] = dict(value)
            continue
        references = _references(value, index, own, paths=attribute != "name")
        if references:
            expressions[attribute] = {"references": references}
            continue
        if isinstance(value, Mapping):
            block_values, block_expressions = _convert(value, index, own)
            values[attribute] = [block_values]
            if block_expressions:
                expressions[attribute] = [block_expressions]
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            attribute = SINGULAR.get(attribute, attribute)
            converted = [_convert(v, index, own) for v in value]
            values[attribute] = [v for v, _ in converted]
            if any(e for _, e in converted):
                expressions[attribute] = [e for _, e in converted]
        else:
            values[attribute] = value
            expressions[attribute] = {"constant_value": value}
    return values, expressions


def _references(value: Any, index: Mapping[str, str], own: str, paths: bool) -> list[str]:
    """Terraform's references for a value that names other resources (both `a.b.id` and `a.b`).

    A value is a reference when it is another resource's id, ARN, name or URL, or a path whose
    last segment is (`table/<name>`: a template such as `"table/${aws_dynamodb_table.t.name}"`),
    unless `paths` is off (a resource's own `name` is never a reference to another's).
    """
    candidates = value if isinstance(value, list) else [value]
    if not candidates or not all(isinstance(v, str) for v in candidates):
        return []
    found: list[str] = []
    for candidate in candidates:
        target = _target(candidate, index, own, paths)
        if target is None:
            return []
        found += [target, target.rsplit(".", 1)[0]]
    return found


def _target(value: str, index: Mapping[str, str], own: str, paths: bool) -> str | None:
    for key in (value, value.rsplit("/", 1)[-1] if paths and "/" in value else None):
        target = index.get(key) if key else None
        if target and target.rsplit(".", 1)[0] != own:
            return target
    return None
