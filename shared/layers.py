"""The layer graph, declared once: which Pulumi project each layer is and what it reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from shared import outputs

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Layer:
    """One Pulumi project: its directory, the outputs it exports and the layers it reads."""

    name: str
    project: str
    exports: tuple[str, ...]
    # Upstream layer name -> the outputs of that layer this one requires.
    reads: Mapping[str, tuple[str, ...]]

    @property
    def directory(self) -> Path:
        return REPO_ROOT / "stacks" / self.name

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(self.reads)


NETWORK = Layer(
    name="network",
    project="trading-network",
    exports=(
        outputs.ENVIRONMENT,
        outputs.VPC_ID,
        outputs.PRIVATE_SUBNET_IDS,
        outputs.LAMBDA_SECURITY_GROUP_ID,
        outputs.FLOW_LOG_GROUP_NAME,
    ),
    reads=MappingProxyType({}),
)
DATA = Layer(
    name="data",
    project="trading-data",
    exports=(
        outputs.ENVIRONMENT,
        outputs.DYNAMODB_TABLE_NAME,
        outputs.DYNAMODB_TABLE_ARN,
        outputs.S3_BUCKET_NAME,
        outputs.S3_BUCKET_ARN,
        outputs.KMS_KEY_ARN,
        outputs.TRADE_STREAM_NAME,
        outputs.TRADE_STREAM_ARN,
        outputs.TRADE_STREAM_SHARDS,
        outputs.FAILURE_QUEUE_ARN,
        outputs.FAILURE_QUEUE_URL,
        outputs.ALARM_TOPIC_ARN,
    ),
    reads=MappingProxyType({}),
)
COMPUTE = Layer(
    name="compute",
    project="trading-compute",
    exports=(
        outputs.ENVIRONMENT,
        outputs.LAMBDA_FUNCTION_NAME,
        outputs.LAMBDA_FUNCTION_ARN,
        outputs.LAMBDA_ROLE_ARN,
        outputs.LOG_GROUP_NAME,
        outputs.DASHBOARD_NAME,
        outputs.DASHBOARD_URL,
    ),
    reads=MappingProxyType(
        {
            "network": (outputs.PRIVATE_SUBNET_IDS, outputs.LAMBDA_SECURITY_GROUP_ID),
            "data": (
                outputs.DYNAMODB_TABLE_NAME,
                outputs.DYNAMODB_TABLE_ARN,
                outputs.S3_BUCKET_NAME,
                outputs.S3_BUCKET_ARN,
                outputs.KMS_KEY_ARN,
                outputs.TRADE_STREAM_NAME,
                outputs.TRADE_STREAM_ARN,
                outputs.FAILURE_QUEUE_ARN,
                outputs.FAILURE_QUEUE_URL,
                outputs.ALARM_TOPIC_ARN,
            ),
        }
    ),
)

LAYERS: Mapping[str, Layer] = MappingProxyType({x.name: x for x in (NETWORK, DATA, COMPUTE)})

_EVERY_LAYER = tuple(LAYERS)
# Which layers a changed path affects (`--affected`): the first prefix that matches decides.
# A layer's program and its components are that layer's; the function's code is compute's;
# the rest of the stacks' library, the policy pack that judges every stack, and the
# dependency pins are every layer's. Anything else (docs, tests, the tools) affects none.
PATH_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("stacks/network/", ("network",)),
    ("stacks/data/", ("data",)),
    ("stacks/compute/", ("compute",)),
    ("shared/components/network.py", ("network",)),
    ("shared/components/data.py", ("data",)),
    ("shared/components/compute.py", ("compute",)),
    # The alarm topic and the data layer's alarms; the function's alarms and the dashboard.
    ("shared/components/monitoring.py", ("data", "compute")),
    ("shared/packaging.py", ("compute",)),
    ("functions/", ("compute",)),
    # Used by the network layer (its flow-log key) and the data layer (the platform key).
    ("shared/components/encryption.py", ("network", "data")),
    ("shared/", _EVERY_LAYER),
    # The policy pack and what it imports of guardrails/ (the scan and reports do not deploy).
    ("policy_pack/", _EVERY_LAYER),
    ("guardrails/pack.py", _EVERY_LAYER),
    ("guardrails/rules.py", _EVERY_LAYER),
    ("guardrails/model.py", _EVERY_LAYER),
    ("guardrails/inventory.py", _EVERY_LAYER),
    ("pyproject.toml", _EVERY_LAYER),
    ("constraints.txt", _EVERY_LAYER),
)


def layers_for_path(path: str) -> tuple[str, ...]:
    """The layers a change to `path` (relative to the repository) affects directly."""
    return next((layers for prefix, layers in PATH_LAYERS if path.startswith(prefix)), ())


def readers_of(name: str) -> tuple[str, ...]:
    """Every layer that reads `name`, directly or through another layer, in declaration order."""
    found: list[str] = []
    frontier = [name]
    while frontier:
        current = frontier.pop()
        for layer in LAYERS.values():
            if current in layer.reads and layer.name not in found:
                found.append(layer.name)
                frontier.append(layer.name)
    return tuple(n for n in LAYERS if n in found)


def waves(names: Iterable[str] | None = None) -> tuple[tuple[Layer, ...], ...]:
    """Groups of layers to run in turn; a group's layers read nothing from each other.

    A layer outside `names` is taken as already deployed, so asking for compute alone is one
    wave. Within a group the declaration order is kept, so plans read the same every time.
    """
    wanted = list(LAYERS) if names is None else list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in LAYERS]
    if unknown:
        raise ValueError(f"unknown layer {unknown[0]!r}; known layers: {', '.join(LAYERS)}")
    done: set[str] = set()
    pending = [layer for layer in LAYERS.values() if layer.name in wanted]
    groups: list[tuple[Layer, ...]] = []
    while pending:
        ready = tuple(
            layer
            for layer in pending
            if all(dep in done or dep not in wanted for dep in layer.depends_on)
        )
        if not ready:
            raise ValueError(f"cycle among layers {[layer.name for layer in pending]}")
        groups.append(ready)
        done.update(layer.name for layer in ready)
        pending = [layer for layer in pending if layer not in ready]
    return tuple(groups)


def deploy_order(names: Iterable[str] | None = None) -> tuple[Layer, ...]:
    """Layers in an order where each comes after everything it reads."""
    return tuple(layer for group in waves(names) for layer in group)
