"""Run each layer's real `__main__.py` under Pulumi's mock runtime, in deploy order.

No CLI, credentials or network. Each layer's exports feed the StackReferences of the layers after
it, and every registration is recorded (the contract in docs/synth.md).
"""

from __future__ import annotations

import asyncio
import json
import math
import runpy
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from shared.environments import DEFAULT_REGION
from shared.errors import PlatformError
from shared.layers import REPO_ROOT, Layer, deploy_order
from synth.fake_cloud import FakeCloud, RecordingMonitor, Registration, UnknownStackError

SYNTH_DIR = REPO_ROOT / "build" / "synth"


class SynthError(PlatformError):
    """A layer's program failed under the mock runtime; the message is the program's own."""

    def __init__(self, message: str, registered: int) -> None:
        super().__init__(message)
        # How many resources the program had registered when it failed: 0 for config errors.
        self.registered = registered


@dataclass(frozen=True)
class LayerSynth:
    layer: Layer
    stack: str
    resources: list[dict[str, Any]]
    outputs: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer.name,
            "project": self.layer.project,
            "stack": self.stack,
            "resources": self.resources,
            "outputs": self.outputs,
        }


def stack_config(layer: Layer, environment: str) -> dict[str, str]:
    """A stack's config as the engine hands it to the program: namespaced keys, string values."""
    path = layer.directory / f"Pulumi.{environment}.yaml"
    document = yaml.safe_load(path.read_text()) if path.exists() else None
    raw = (document or {}).get("config") or {}
    config = {}
    for key, value in raw.items():
        full_key = key if ":" in key else f"{layer.project}:{key}"
        config[full_key] = value if isinstance(value, str) else json.dumps(value)
    return config


def run_layer(
    layer: Layer,
    environment: str,
    config: Mapping[str, str],
    upstream: Mapping[str, Mapping[str, Any]],
    *,
    zone_count: int = 6,
) -> LayerSynth:
    """Run one layer's program under mocks and return what it registered and exported."""
    region = config.get("aws:region", DEFAULT_REGION)
    cloud = FakeCloud(region=region, stacks=upstream, zone_count=zone_count)
    monitor = RecordingMonitor(cloud)
    # A fresh root, loop and output set per program: otherwise exports, or the in-flight work
    # of a program that failed, leak into the next program run in this process.
    runtime_settings.ROOT.set(None)
    runtime_settings.SETTINGS.outputs.clear()
    main = layer.directory / "__main__.py"
    with _program_loop() as loop:
        # preview=False so apply callbacks (policy documents, upstream lookups) really run.
        pulumi.runtime.set_mocks(
            cloud, project=layer.project, stack=environment, preview=False, monitor=monitor
        )
        pulumi.runtime.set_all_config(dict(config))
        root = runtime_settings.get_root_resource()
        try:
            _sync_await(run_pulumi_func(lambda: _run_main(main)))
            exported = {
                name: _sync_await(pulumi.Output.from_input(value).future())
                for name, value in getattr(root, "outputs", {}).items()
            }
        except (pulumi.RunError, UnknownStackError) as error:
            # The rest of a failed program's work only repeats this failure: silence it.
            loop.set_exception_handler(lambda _loop, _context: None)
            raise SynthError(str(error), len(cloud.registrations)) from None
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "inputs": plain(r.inputs),
            **({"options": _options(monitor, r)} if r.custom else {}),
        }
        for r in cloud.registrations
    ]
    return LayerSynth(layer, environment, resources, plain(exported))


def _options(monitor: RecordingMonitor, registration: Registration) -> dict[str, Any]:
    """The resource options the engine would store with the resource (docs/synth.md)."""
    options = monitor.options[(registration.type, registration.name)]
    stored: dict[str, Any] = {
        "protect": options.protect,
        "retainOnDelete": options.retain_on_delete,
    }
    if options.ignore_changes:
        stored["ignoreChanges"] = list(options.ignore_changes)
    if options.custom_timeouts:
        stored["customTimeouts"] = dict(options.custom_timeouts)
    return stored


def _run_main(path: Path) -> None:
    runpy.run_path(str(path), run_name="__main__")


@contextmanager
def _program_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop for one program, fully finished afterwards.

    The mock monitor answers on executor threads and gives each thread a loop of its own;
    those are closed here too, or the garbage collector prints "Invalid file descriptor"
    noise at exit. Tasks a failed program left pending are cancelled, not run later.
    """
    loop = asyncio.new_event_loop()
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(thread_loop)
        thread_loops.append(thread_loop)

    loop.set_default_executor(ThreadPoolExecutor(initializer=give_thread_a_loop))
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        for thread_loop in thread_loops:
            thread_loop.close()
        loop.close()
        asyncio.set_event_loop(None)


def synth_environment(
    environment: str,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    *,
    zone_count: int = 6,
) -> dict[str, Any]:
    """All layers of one environment, upstream exports wired into downstream references.

    `overrides` maps a layer name to extra config (full keys), as `pulumi config set` would.
    """
    overrides = overrides or {}
    produced: dict[str, Mapping[str, Any]] = {}
    layers = []
    region = DEFAULT_REGION
    for layer in deploy_order():
        config = {**stack_config(layer, environment), **overrides.get(layer.name, {})}
        region = config.get("aws:region", region)
        result = run_layer(layer, environment, config, produced, zone_count=zone_count)
        produced[f"{layer.project}/{environment}"] = result.outputs
        layers.append(result.as_json())
    return {"environment": environment, "region": region, "layers": layers}


def write(document: Mapping[str, Any], directory: Path = SYNTH_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{document['environment']}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


def plain(value: Any) -> Any:
    """Engine inputs as JSON: assets and archives by repo-relative path, whole floats as ints."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, (pulumi.FileArchive, pulumi.FileAsset)):
        kind = "archive" if isinstance(value, pulumi.FileArchive) else "asset"
        return {kind: {"path": repo_relative(value.path)}}
    if isinstance(value, pulumi.Resource):
        return {"resource": type(value).__name__}
    return value


def repo_relative(path: str) -> str:
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()
