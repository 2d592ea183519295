"""The double's commands: argv in, stdout/stderr/exit code out, as the Pulumi CLI answers them.

The sources each behaviour is modelled on are listed in the package docstring.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from pulumi._version import _VERSION

from tests.support.pulumi_cli import PACKAGE

# Flags each command accepts (value-taking ones map to True). cobra rejects anything else.
_GLOBAL = {"--non-interactive": False, "--color": True, "--logflow": False, "--debug": False}
_OPERATION = {
    "--stack": True,
    "--message": True,
    "--policy-pack": True,
    "--policy-pack-config": True,
    "--config-file": True,
    "--exec-kind": True,
    "--event-log": True,
    "--parallel": True,
    "--diff": False,
    "--expect-no-changes": False,
    "--target": True,
    "--exclude": True,
    "--replace": True,
    "--target-dependents": False,
    "--exclude-dependents": False,
    "--suppress-outputs": False,
    "--suppress-progress": False,
    "--continue-on-error": False,
    "--refresh": False,
    "--run-program": False,
}
FLAGS: dict[str, dict[str, bool]] = {
    "version": {},
    "whoami": {"--json": False, "--verbose": False},
    "stack select": {"--stack": True, "--create": False, "--secrets-provider": True},
    "stack init": {"--stack": True, "--secrets-provider": True, "--no-select": False},
    "stack ls": {"--json": False, "--all": False},
    "stack output": {"--stack": True, "--json": False, "--show-secrets": False},
    "stack history": {
        "--stack": True,
        "--json": False,
        "--show-secrets": False,
        "--page-size": True,
        "--page": True,
    },
    "config": {"--stack": True, "--json": False, "--show-secrets": False},
    "config get": {"--stack": True, "--json": False, "--path": False},
    "config set": {"--stack": True, "--path": False, "--secret": False, "--plaintext": False},
    "stack tag set": {"--stack": True},
    "stack tag get": {"--stack": True},
    "stack tag ls": {"--stack": True, "--json": False},
    "cancel": {"--stack": True, "--yes": False},
    "up": {**_OPERATION, "--yes": False, "--skip-preview": False, "--plan": True},
    "preview": {**_OPERATION, "--json": False, "--save-plan": True},
    "refresh": {**_OPERATION, "--yes": False, "--skip-preview": False, "--preview-only": False},
    "destroy": {
        **_OPERATION,
        "--yes": False,
        "--skip-preview": False,
        "--preview-only": False,
        "--exclude-protected": False,
    },
    "stack export": {"--stack": True, "--show-secrets": False, "--file": True},
}
SELF_MANAGED = ("file", "s3", "gs", "azblob")
# gocloud's URL openers reject unknown query parameters (gocloud.dev/blob/s3blob, gcsblob).
_QUERY = {
    "s3": {"region", "endpoint", "awssdk", "profile", "disableSSL", "s3ForcePathStyle"},
    "gs": {"access_id", "private_key_path"},
    "azblob": {"domain", "protocol", "cdn", "localemu"},
    "file": {"no_tmp_dir", "create_dir", "metadata"},
}
_TIME = "%Y-%m-%dT%H:%M:%S.000Z"


class CliError(Exception):
    """What the CLI prints after `error: `; exit code 255 as the real one."""


@dataclass
class Parsed:
    command: str
    positional: list[str]
    flags: dict[str, list[str]]

    def one(self, flag: str, default: str | None = None) -> str | None:
        values = self.flags.get(flag)
        return values[-1] if values else default

    def has(self, flag: str) -> bool:
        return flag in self.flags


def parse(argv: list[str]) -> Parsed:
    # cobra: everything after a bare "--" is an argument, never a flag.
    after: list[str] = []
    if "--" in argv:
        argv, after = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    words = [a for a in argv if not a.startswith("-")]
    # Longest known command prefix of the leading words: "stack tag set", "stack", "up", ...
    command = ""
    for length in (3, 2, 1):
        candidate = " ".join(words[:length])
        if candidate in FLAGS:
            command = candidate
            break
    if not command:
        raise CliError(f'unknown command "{" ".join(words[:2])}" for "pulumi"')
    allowed = {**_GLOBAL, **FLAGS[command]}
    flags: dict[str, list[str]] = {}
    positional: list[str] = []
    skip = len(command.split())
    items = iter(argv)
    for item in items:
        if not item.startswith("-"):
            if skip:
                skip -= 1
            else:
                positional.append(item)
            continue
        name, _, inline = item.partition("=")
        if name not in allowed:
            raise CliError(f"unknown flag: {name}")
        value = inline if inline or not allowed[name] else next(items, "")
        flags.setdefault(name, []).append(value)
    return Parsed(command, positional + after, flags)


# ---- backends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    url: str
    scheme: str
    directory: Path  # where this double keeps the state the backend would hold

    @classmethod
    def from_env(cls, environ: dict[str, str]) -> Backend:
        url = environ.get("PULUMI_BACKEND_URL")
        if not url:
            raise CliError("no backend: this double needs PULUMI_BACKEND_URL (tests are hermetic)")
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme == "https":
            if parts.path.strip("/"):
                # The service client builds base + "/api/stacks/...": the path makes it a 404.
                raise CliError(
                    f"[404] Not found: {url.rstrip('/')}/api/user: the Pulumi Cloud URL must "
                    "be the service's base URL"
                )
            if not environ.get("PULUMI_ACCESS_TOKEN"):
                raise CliError(
                    "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"
                )
            return cls(url, scheme, _buckets(environ) / "cloud" / parts.netloc)
        if scheme not in SELF_MANAGED:
            raise CliError(f"unknown backend URL scheme {scheme!r}")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - _QUERY[scheme])
        if unknown:
            raise CliError(f"open bucket {url}: unknown query parameter {unknown[0]!r}")
        if scheme == "s3" and query.get("awssdk", ["v2"])[-1] not in ("v1", "v2"):
            raise CliError(f"open bucket {url}: awssdk must be v1 or v2")
        if scheme == "file":
            directory = Path(unquote(parts.path))
            if not directory.is_dir():
                raise CliError(
                    f'could not open state directory "{url}": fileblob.OpenBucket: '
                    f"{directory} does not exist"
                )
            return cls(url, scheme, directory)
        return cls(
            url, scheme, _buckets(environ) / scheme / parts.netloc / unquote(parts.path).strip("/")
        )

    @property
    def self_managed(self) -> bool:
        return self.scheme in SELF_MANAGED

    def qualify(self, name: str, project: str) -> tuple[str, str, str]:
        parts = name.split("/")
        if len(parts) == 1:
            org, proj, stack = "organization", project, parts[0]
        elif len(parts) == 2:
            org, proj, stack = parts[0], project, parts[1]
        elif len(parts) == 3:
            org, proj, stack = parts
        else:
            raise CliError(f"could not parse stack reference '{name}'")
        if self.self_managed and org != "organization":
            raise CliError("organization name must be 'organization'")
        return org, proj, stack


def _buckets(environ: dict[str, str]) -> Path:
    root = environ.get("PULUMI_DOUBLE_BUCKETS")
    if not root:
        raise CliError("this double keeps bucket backends under $PULUMI_DOUBLE_BUCKETS; unset")
    return Path(root)


@dataclass(frozen=True)
class StackState:
    backend: Backend
    org: str
    project: str
    name: str

    @property
    def fqn(self) -> str:
        return f"{self.org}/{self.project}/{self.name}"

    @property
    def _scope(self) -> Path:
        # Cloud stacks are kept per organization; diy stacks per project (store.go).
        if self.backend.self_managed:
            return Path(self.project) / self.name
        return Path(self.org) / self.project / self.name

    @property
    def checkpoint(self) -> Path:
        return self.backend.directory / ".pulumi" / "stacks" / f"{self._scope}.json"

    @property
    def history_dir(self) -> Path:
        return self.backend.directory / ".pulumi" / "history" / self._scope

    @property
    def lock_dir(self) -> Path:
        return self.backend.directory / ".pulumi" / "locks" / "organization" / self._scope

    def exists(self) -> bool:
        return self.checkpoint.exists()

    def load(self) -> dict[str, Any]:
        if not self.exists():
            raise CliError(f"no stack named '{self.fqn}' found")
        data: dict[str, Any] = json.loads(self.checkpoint.read_text())
        return data

    def save(self, data: dict[str, Any]) -> None:
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoint.write_text(json.dumps(data, indent=2))

    def history(self) -> list[dict[str, Any]]:
        """Newest first: file names sort oldest first, and getHistory reverses them."""
        if not self.history_dir.is_dir():
            return []
        files = sorted(self.history_dir.glob("*.history.json"), reverse=True)
        return [json.loads(f.read_text()) for f in files]

    def record(self, entry: dict[str, Any]) -> None:
        self.history_dir.mkdir(parents=True, exist_ok=True)
        path = self.history_dir / f"{self.name}-{time.time_ns():020d}.history.json"
        path.write_text(json.dumps(entry))

    @contextmanager
    def locked(self) -> Iterator[None]:
        held = list(self.lock_dir.glob("*.json")) if self.lock_dir.is_dir() else []
        if held:
            raise CliError(
                f"the stack is currently locked by {len(held)} lock(s). Either wait for the "
                "other process(es) to end or delete the lock file with `pulumi cancel`."
            )
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        lock = self.lock_dir / f"{uuid.uuid4()}.json"
        lock.write_text(json.dumps({"pid": os.getpid(), "timestamp": time.time()}))
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)


# ---- the program's project --------------------------------------------------------------------


def _project(cwd: Path) -> dict[str, Any]:
    path = cwd / "Pulumi.yaml"
    if not path.exists():
        raise CliError(f"no Pulumi.yaml project file found (searching upwards from {cwd})")
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def _virtualenv_python(base: Path, runtime: Any) -> Path:
    """The interpreter a Python project runs with: `virtualenv` resolved relative to `base`."""
    options = (runtime or {}).get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv")
    if not venv:
        return Path(sys.executable)
    path = (base / str(venv)).resolve()
    python = path / "bin" / "python"
    if not python.exists():
        # The language host creates a missing virtualenv, empty: nothing to import pulumi from.
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return python


# ---- commands ---------------------------------------------------------------------------------


class Cli:
    def __init__(self, root: Path, cwd: Path, environ: dict[str, str]) -> None:
        self.root = root
        self.cwd = cwd
        self.environ = environ

    def run(self, parsed: Parsed) -> int:
        handler: Callable[[Parsed], int] = getattr(self, "cmd_" + parsed.command.replace(" ", "_"))
        return handler(parsed)

    def _stack(self, parsed: Parsed, name: str | None = None) -> StackState:
        backend = Backend.from_env(self.environ)
        project = str(_project(self.cwd)["name"])
        stack_name = name or parsed.one("--stack")
        if not stack_name:
            raise CliError("no stack selected; use --stack")
        org, proj, stack = backend.qualify(stack_name, project)
        return StackState(backend, org, proj, stack)

    def cmd_version(self, _parsed: Parsed) -> int:
        print(f"v{_VERSION}")
        return 0

    def cmd_cancel(self, parsed: Parsed) -> int:
        # pkg/cmd/pulumi/cancel.go: --yes when non-interactive; the diy backend's
        # CancelCurrentUpdate deletes every lock file of the stack (pkg/backend/diy/backend.go).
        if not parsed.has("--yes"):
            raise CliError(
                "--yes must be passed in to proceed when running in non-interactive mode"
            )
        stack = self._stack(parsed)
        stack.load()
        for lock in stack.lock_dir.glob("*.json") if stack.lock_dir.is_dir() else []:
            lock.unlink(missing_ok=True)
        print(f"The currently running update for '{parsed.one('--stack')}' has been canceled!")
        return 0

    def cmd_whoami(self, parsed: Parsed) -> int:
        backend = Backend.from_env(self.environ)
        user = "organization" if backend.self_managed else "double-user"
        if parsed.has("--json"):
            print(json.dumps({"user": user, "organizations": [], "url": backend.url}))
        else:
            print(user)
        return 0

    def cmd_stack_select(self, parsed: Parsed) -> int:
        stack = self._stack(parsed, parsed.one("--stack") or next(iter(parsed.positional), None))
        if not stack.exists():
            if parsed.has("--create"):
                return self._init(stack, parsed)
            raise CliError(f"no stack named '{stack.fqn}' found")
        return 0

    def cmd_stack_init(self, parsed: Parsed) -> int:
        stack = self._stack(parsed, next(iter(parsed.positional), None) or parsed.one("--stack"))
        if stack.exists():
            raise CliError(f"stack '{stack.fqn}' already exists")
        return self._init(stack, parsed)

    def _init(self, stack: StackState, parsed: Parsed) -> int:
        provider = parsed.one(
            "--secrets-provider", "passphrase" if stack.backend.self_managed else "service"
        )
        if provider == "passphrase":
            if not (
                self.environ.get("PULUMI_CONFIG_PASSPHRASE")
                or self.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
            ):
                raise CliError(
                    "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                    "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
                )
            # The passphrase manager stores its salt in the project's stack file, next to
            # Pulumi.yaml: the tracked Pulumi.<stack>.yaml of the program directory.
            stack_file = self.cwd / f"Pulumi.{stack.name}.yaml"
            document = (
                yaml.safe_load(stack_file.read_text()) if stack_file.exists() else None
            ) or {}
            document["encryptionsalt"] = (
                f"v1:{secrets.token_urlsafe(12)}:v1:{secrets.token_urlsafe(16)}"
            )
            header = "".join(
                line + "\n"
                for line in (stack_file.read_text().splitlines() if stack_file.exists() else [])
                if line.startswith("#")
            )
            stack_file.write_text(header + yaml.safe_dump(document, sort_keys=False))
        stack.save({"version": 3, "checkpoint": {"stack": stack.fqn, "latest": None}, "tags": {}})
        return 0

    def cmd_stack_ls(self, _parsed: Parsed) -> int:
        backend = Backend.from_env(self.environ)
        project = str(_project(self.cwd)["name"])
        base = backend.directory / ".pulumi" / "stacks"
        found = sorted(base.rglob("*.json")) if base.is_dir() else []
        listing = []
        for path in found:
            data = json.loads(path.read_text())
            fqn = data["checkpoint"]["stack"]
            if fqn.split("/")[1] == project:
                shown = fqn.split("/")[-1] if backend.self_managed else fqn
                listing.append({"name": shown, "current": False, "url": backend.url})
        print(json.dumps(listing))
        return 0

    def cmd_stack_output(self, parsed: Parsed) -> int:
        data = self._stack(parsed).load()
        latest = data["checkpoint"]["latest"] or {}
        print(json.dumps(latest.get("outputs", {})))
        return 0

    def cmd_stack_export(self, parsed: Parsed) -> int:
        """apitype.UntypedDeployment; ResourceV3 omits `protect`/`retainOnDelete` when false."""
        latest = self._stack(parsed).load()["checkpoint"]["latest"] or {}
        resources = []
        for r in latest.get("resources", []):
            exported = {
                key: r[key]
                for key in ("urn", "custom", "id", "type", "parent", "dependencies")
                if r.get(key) not in (None, "", [])
            }
            exported.update({key: True for key in ("protect", "retainOnDelete") if r.get(key)})
            resources.append(exported)
        manifest = {"time": time.strftime(_TIME, time.gmtime()), "magic": "", "version": _VERSION}
        print(
            json.dumps({"version": 3, "deployment": {"manifest": manifest, "resources": resources}})
        )
        return 0

    def cmd_stack_history(self, parsed: Parsed) -> int:
        stack = self._stack(parsed)
        stack.load()
        entries = stack.history()
        size = int(parsed.one("--page-size", "10") or 10)
        page = max(1, int(parsed.one("--page", "1") or 1))
        if size > 0:
            entries = entries[(page - 1) * size : page * size]
        print(json.dumps(entries))
        return 0

    # ---- config: the project stack file in the program directory ---------------------------

    def _config_file(self, parsed: Parsed) -> tuple[Path, dict[str, Any], str]:
        stack = self._stack(parsed)
        stack.load()
        path = self.cwd / f"Pulumi.{stack.name}.yaml"
        document = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
        return path, document, str(_project(self.cwd)["name"])

    def cmd_config(self, parsed: Parsed) -> int:
        _path, document, _project_name = self._config_file(parsed)
        values = document.get("config") or {}
        print(json.dumps({k: {"value": v, "secret": False} for k, v in values.items()}))
        return 0

    def cmd_config_get(self, parsed: Parsed) -> int:
        _path, document, project = self._config_file(parsed)
        key = parsed.positional[0]
        full = key if ":" in key else f"{project}:{key}"
        values = document.get("config") or {}
        if full not in values:
            raise CliError(
                f"configuration key '{full}' not found for stack '{parsed.one('--stack')}'"
            )
        value = values[full]
        shown = json.dumps({"value": value, "secret": False}) if parsed.has("--json") else value
        print(shown)
        return 0

    def cmd_config_set(self, parsed: Parsed) -> int:
        path, document, project = self._config_file(parsed)
        key, value = parsed.positional[:2]
        full = key if ":" in key else f"{project}:{key}"
        document.setdefault("config", {})[full] = value
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return 0

    def cmd_stack_tag_set(self, parsed: Parsed) -> int:
        if self.environ.get("PULUMI_DOUBLE_NO_TAGS"):  # as a backend or CLI without stack tags
            raise CliError("stack tags are not supported by this backend")
        stack = self._stack(parsed)
        data = stack.load()
        key, value = parsed.positional[:2]
        data.setdefault("tags", {})[key] = value
        stack.save(data)
        return 0

    def cmd_stack_tag_get(self, parsed: Parsed) -> int:
        data = self._stack(parsed).load()
        key = parsed.positional[0]
        if key not in data.get("tags", {}):
            raise CliError(f"stack tag '{key}' not found for stack '{parsed.one('--stack')}'")
        print(data["tags"][key])
        return 0

    def cmd_stack_tag_ls(self, parsed: Parsed) -> int:
        print(json.dumps(self._stack(parsed).load().get("tags", {})))
        return 0

    # ---- operations ------------------------------------------------------------------------

    def cmd_up(self, parsed: Parsed) -> int:
        if not (parsed.has("--yes") and parsed.has("--skip-preview")):
            raise CliError(
                "--yes or --skip-preview must be passed in to proceed when running in non-interactive mode"
            )
        return self._operate(parsed, "update", write=True)

    def cmd_preview(self, parsed: Parsed) -> int:
        return self._operate(parsed, "preview", write=False)

    def cmd_refresh(self, parsed: Parsed) -> int:
        return self._operate(parsed, "refresh", write=not parsed.has("--preview-only"))

    def cmd_destroy(self, parsed: Parsed) -> int:
        return self._operate(parsed, "destroy", write=not parsed.has("--preview-only"))

    def _operate(self, parsed: Parsed, kind: str, *, write: bool) -> int:
        stack = self._stack(parsed)
        data = stack.load()
        project = _project(self.cwd)
        with stack.locked():
            for pack in parsed.flags.get("--policy-pack", []):
                self._check_policy_pack(Path(pack))
            before = (data["checkpoint"]["latest"] or {}).get("resources", [])
            steps: list[dict[str, str]] = []
            kept: list[dict[str, Any]] = []
            if kind == "destroy":
                kept = _kept(before, exclude_protected=parsed.has("--exclude-protected"))
                if kept and len(kept) == len(before):
                    print(
                        "There were no unprotected resources to destroy. There are still "
                        f"{len(kept)} protected resources associated with this stack."
                    )
                    return 0
                resources: list[dict[str, Any]] = kept
                # The stack resource, and its outputs, stay with anything protected under it.
                outputs: dict[str, Any] = (
                    (data["checkpoint"]["latest"] or {}).get("outputs", {}) if kept else {}
                )
                gone = len(before) - len(kept)
                changes = {"delete": gone} if gone else {}
            elif kind == "refresh":
                resources, outputs = before, (data["checkpoint"]["latest"] or {}).get("outputs", {})
                drift = (
                    (self.root / "drift").read_text().split()
                    if (self.root / "drift").exists()
                    else []
                )
                changed = sum(1 for r in before if r["name"] in drift)
                changes = {
                    "same": len(before) - changed,
                    **({"update": changed} if changed else {}),
                }
            else:
                resources, outputs = self._run_program(project, stack, parsed)
                # A resource is its URN: type and name (a component and a resource may share a name).
                old = {(r["type"], r["name"]) for r in before}
                new = {(r["type"], r["name"]) for r in resources}
                if write:
                    _refuse_protected_deletes(
                        [r for r in before if (r["type"], r["name"]) not in new]
                    )
                steps = _steps(stack.name, project["name"], before, resources)
                changes = {
                    k: v
                    for k, v in {
                        "create": len(new - old),
                        "same": len(new & old),
                        "delete": len(old - new),
                    }.items()
                    if v
                }
            self._send_events(parsed, changes, steps)
            if write:
                gone_all = kind == "destroy" and not kept
                latest = None if gone_all else {"resources": resources, "outputs": outputs}
                data["checkpoint"]["latest"] = latest
                stack.save(data)
                now = time.strftime(_TIME, time.gmtime())
                stack.record(
                    {
                        "kind": kind,
                        "startTime": now,
                        "endTime": now,
                        "message": parsed.one("--message", "") or "",
                        "environment": {"exec.kind": parsed.one("--exec-kind", "cli") or "cli"},
                        "config": {},
                        "result": "succeeded",
                        "version": len(stack.history()) + 1,
                        "resourceChanges": changes,
                    }
                )
        print(f"{kind} of {stack.fqn}: {json.dumps(changes)}")
        if kept:
            print(
                "All unprotected resources were destroyed. There are still "
                f"{len(kept)} protected resources associated with this stack."
            )
        return 0

    def _check_policy_pack(self, pack: Path) -> None:
        policy = pack / "PulumiPolicy.yaml"
        if not policy.exists():
            raise CliError(f"could not find PulumiPolicy.yaml in {pack}")
        runtime = yaml.safe_load(policy.read_text()).get("runtime")
        python = _virtualenv_python(pack, runtime)
        probe = subprocess.run(
            [str(python), "-c", "import pulumi_policy"], capture_output=True, check=False
        )
        if probe.returncode != 0:
            raise CliError(
                f"policy pack {pack.name}: the Python policy host could not import pulumi_policy"
            )

    def _run_program(
        self, project: dict[str, Any], stack: StackState, parsed: Parsed
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        python = _virtualenv_python(self.cwd, project.get("runtime"))
        # `main` moves the program away from Pulumi.yaml (workspace.Project.Main).
        program_dir = (self.cwd / str(project.get("main") or ".")).resolve()
        config_file = Path(parsed.one("--config-file") or self.cwd / f"Pulumi.{stack.name}.yaml")
        document = yaml.safe_load(config_file.read_text()) if config_file.exists() else None
        config = {}
        for key, value in ((document or {}).get("config") or {}).items():
            full = key if ":" in key else f"{project['name']}:{key}"
            config[full] = value if isinstance(value, str) else json.dumps(value)
        request = {
            "project": project["name"],
            "stack": stack.name,
            "organization": stack.org,
            "config": config,
            "references": self._reference_outputs(stack),
        }
        result = subprocess.run(
            [str(python), str(PACKAGE / "program_host.py")],
            input=json.dumps(request),
            cwd=program_dir,
            env=self.environ,
            capture_output=True,
            text=True,
            check=False,
        )
        with (self.root / "programs.jsonl").open("a") as log:
            log.write(json.dumps({"stack": stack.fqn, "program": str(program_dir)}) + "\n")
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            raise CliError(
                f"an unhandled error occurred: program failed: {lines[-1] if lines else ''}"
            )
        answer = json.loads(result.stdout.splitlines()[-1])
        return answer["resources"], answer["outputs"]

    def _reference_outputs(self, stack: StackState) -> dict[str, Any]:
        """Outputs of every stack in the same backend, by fully qualified name."""
        base = stack.backend.directory / ".pulumi" / "stacks"
        found: dict[str, Any] = {}
        for path in base.rglob("*.json") if base.is_dir() else []:
            data = json.loads(path.read_text())
            latest = data["checkpoint"]["latest"]
            if latest is not None:
                found[data["checkpoint"]["stack"]] = latest.get("outputs", {})
        return found

    def _send_events(
        self, parsed: Parsed, changes: dict[str, int], steps: list[dict[str, str]]
    ) -> None:
        target = parsed.one("--event-log")
        if not target:
            return
        # A resourcePreEvent per resource step, then the summary (pkg/engine/events.go: the
        # engine emits ResourcePreEvent before each step, SummaryEvent at the end).
        events = [
            {"sequence": n, "timestamp": int(time.time()), "resourcePreEvent": {"metadata": step}}
            for n, step in enumerate(steps, 1)
        ]
        events.append(
            {
                "sequence": len(steps) + 1,
                "timestamp": int(time.time()),
                "summaryEvent": {
                    "maybeCorrupt": False,
                    "durationSeconds": 0,
                    "resourceChanges": changes,
                    "PolicyPacks": {},
                },
            }
        )
        if not target.startswith("tcp://"):
            Path(target).write_text("".join(json.dumps(e) + "\n" for e in events))
            return
        import grpc  # type: ignore[import-untyped]  # the Automation API's own dependency
        from pulumi.runtime.proto import events_pb2, events_pb2_grpc

        with grpc.insecure_channel(target[len("tcp://") :]) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            stub.StreamEvents(iter([events_pb2.EventRequest(event=json.dumps(e)) for e in events]))


def _kept(resources: list[dict[str, Any]], *, exclude_protected: bool) -> list[dict[str, Any]]:
    """What a destroy leaves: with --exclude-protected, each protected resource and everything it
    depends on, parents and dependencies, transitively (destroy.go getProtectedExcludes over
    graph.DependencyGraph.TransitiveDependenciesOf); without it, a protected resource fails the
    destroy (step.go deleteProtectedError; the double then deletes nothing, where the engine may
    already have deleted unprotected resources in parallel)."""
    protected = [r for r in resources if r.get("protect")]
    if not exclude_protected:
        _refuse_protected_deletes(protected)
        return []
    by_urn = {r.get("urn"): r for r in resources}
    keep: set[str] = set()
    pending = [r["urn"] for r in protected]
    while pending:
        urn = pending.pop()
        if urn in keep or urn not in by_urn:
            continue  # the stack resource itself is not among the recorded registrations
        keep.add(urn)
        pending += [by_urn[urn].get("parent") or "", *by_urn[urn].get("dependencies", [])]
    return [r for r in resources if r.get("urn") in keep]


def _refuse_protected_deletes(deleted: list[dict[str, Any]]) -> None:
    for r in deleted:
        if r.get("protect"):
            urn = r["urn"]
            raise CliError(
                f"resource {json.dumps(urn)} cannot be deleted\nbecause it is protected. To "
                "unprotect the resource, either remove the `protect` flag from the resource in "
                "your Pulumi program and run `pulumi up`, or use the command:\n"
                f"`pulumi state unprotect '{urn}'`"
            )


def _steps(
    stack: str, project: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """Per-resource step metadata (sdk/go/common/apitype/events.go StepEventMetadata: op, urn,
    type, provider). Modelled by name only: create, same or delete; the double knows no provider
    schema, so it never reports update or replace. URNs are the ones the program registered."""
    old = {(r["type"], r["name"]) for r in before}
    new = {(r["type"], r["name"]) for r in after}
    steps = []
    for resource, op in [
        (r, "same" if (r["type"], r["name"]) in old else "create") for r in after
    ] + [(r, "delete") for r in before if (r["type"], r["name"]) not in new]:
        urn = resource.get("urn") or (
            f"urn:pulumi:{stack}::{project}::{resource['type']}::{resource['name']}"
        )
        steps.append({"op": op, "urn": urn, "type": resource["type"], "provider": ""})
    return steps


def main(argv: list[str], root: str) -> int:
    root_path = Path(root)
    cwd = Path.cwd()
    with (root_path / "invocations.jsonl").open("a") as log:
        log.write(
            json.dumps(
                {"argv": argv, "cwd": str(cwd), "backend": os.environ.get("PULUMI_BACKEND_URL")}
            )
            + "\n"
        )
    try:
        parsed = parse(list(argv))
        return Cli(root_path, cwd, dict(os.environ)).run(parsed)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 255
