"""The double's language host: runs a program's `__main__.py` as the engine would, under mocks.

Run by the double with the interpreter of the program's own virtualenv, in the program directory,
with the caller's environment (so PYTHONPATH picks the checkout the program comes from). Reads the
request (project, stack, organization, config, the backend's stack outputs) on stdin; prints the
registered resources and the stack's outputs as JSON on its last line. A StackReference must name
an existing stack exactly (organization included), as the service resolves it.
"""

from __future__ import annotations

import importlib.util
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi  # fails here, as in the real host, when the virtualenv lacks the SDK
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

# The fake AWS of this checkout's synth, loaded by path: the program's PYTHONPATH may be another
# revision's checkout, whose modules must not be shadowed or mixed in.
_FAKE_CLOUD = Path(__file__).resolve().parents[3] / "synth" / "fake_cloud.py"
_spec = importlib.util.spec_from_file_location("pulumi_double_fake_cloud", _FAKE_CLOUD)
assert _spec is not None and _spec.loader is not None
fake_cloud = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fake_cloud
_spec.loader.exec_module(fake_cloud)


class Cloud(fake_cloud.FakeCloud):  # type: ignore[misc,name-defined]
    def __init__(self, region: str, references: dict[str, Any], organization: str) -> None:
        super().__init__(region=region)
        self.references = references
        self.organization = organization
        self.ids: dict[tuple[str, str], str | None] = {}

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        if args.typ == fake_cloud.STACK_REFERENCE:
            name = str(args.inputs["name"])
            if name.count("/") == 1:
                name = f"{self.organization}/{name}"
            if name not in self.references:
                raise fake_cloud.UnknownStackError(f"unknown stack {name!r}")
            self.registrations.append(
                fake_cloud.Registration(args.typ, args.name, args.inputs, False)
            )
            outputs = self.references[name]
            return name, {"name": name, "outputs": outputs, "secretOutputNames": []}
        result: tuple[str | None, dict[str, Any]] = super().new_resource(args)
        self.ids[(args.typ, args.name)] = result[0]
        return result


def _run_main() -> None:
    runpy.run_path("__main__.py", run_name="__main__")


def main() -> int:
    request = json.loads(sys.stdin.read())
    config: dict[str, str] = request["config"]
    cloud = Cloud(
        config.get("aws:region", "us-east-1"), request["references"], request["organization"]
    )
    # The options the engine stores with each resource (protect, retainOnDelete, parent,
    # dependencies) come from the registration requests, as the engine receives them.
    monitor = fake_cloud.RecordingMonitor(cloud)
    pulumi.runtime.set_mocks(
        cloud,
        project=request["project"],
        stack=request["stack"],
        preview=False,
        organization=request["organization"],
        monitor=monitor,
    )
    pulumi.runtime.set_all_config(config)
    root = runtime_settings.get_root_resource()
    _sync_await(run_pulumi_func(_run_main))
    outputs = {
        name: _sync_await(pulumi.Output.from_input(value).future())
        for name, value in getattr(root, "outputs", {}).items()
    }
    resources = []
    for r in cloud.registrations:
        options = monitor.options.get((r.type, r.name))
        if options is None:  # a read (StackReference: ReadResource), which the state keeps as is
            resources.append({"type": r.type, "name": r.name})
            continue
        resources.append(
            {
                "type": r.type,
                "name": r.name,
                "urn": options.urn,
                "custom": r.custom,
                "id": cloud.ids.get((r.type, r.name)),
                "parent": options.parent,
                "dependencies": list(options.dependencies),
                "protect": options.protect,
                "retainOnDelete": options.retain_on_delete,
            }
        )
    print(json.dumps({"resources": resources, "outputs": outputs}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
