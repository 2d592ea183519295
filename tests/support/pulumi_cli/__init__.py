"""A stand-in for the Pulumi CLI that the real Automation API drives, modelled on the CLI's source.

`install(root)` writes `root/bin/pulumi`; `PulumiCommand(root=...)` or PATH then reaches it, and
every call the Automation API makes goes through the same argv, environment, working directory,
exit codes, stdout JSON and engine-event stream as with the real CLI. What it models, and where
each behaviour comes from (pulumi/pulumi at v3.27x unless noted):

- Global: `--non-interactive` is prepended by the Automation API (sdk/python/lib/pulumi/
  automation/_cmd.py); unknown commands or flags fail as cobra does ("unknown flag: --x").
- `version` prints `v<sdk version>` (pkg/cmd/pulumi/version.go).
- Stack names: self-managed backends (file, s3, gs, azblob) accept only the organization
  `organization` in `org/project/stack` (pkg/backend/diy/store.go, "organization name must be
  'organization'"); Pulumi Cloud (https) takes any organization, and builds every call as base URL +
  `/api/...` (pkg/backend/httpstate/client/client.go), so a base URL with a path answers 404.
- State layout of self-managed backends: `.pulumi/stacks/<project>/<stack>.json`,
  `.pulumi/history/<project>/<stack>/<stack>-<unix nanos>.history.json`, locks under
  `.pulumi/locks/organization/<project>/<stack>/` (pkg/backend/diy/store.go, state.go, lock.go).
  file:// paths are URL-decoded (gocloud fileblob); the directory must exist. s3/gs/azblob URLs
  map to folders under $PULUMI_DOUBLE_BUCKETS; their query string is gocloud's options, so an
  unknown parameter or a path after it is an error, as gocloud's URL openers reject it.
- `stack init` on a self-managed backend with the default (passphrase) secrets provider needs
  PULUMI_CONFIG_PASSPHRASE(_FILE) when non-interactive, and writes `encryptionsalt: v1:...` into
  `Pulumi.<stack>.yaml` in the program directory (pkg/secrets/passphrase/manager.go; the project
  stack file is saved by pkg/cmd/pulumi/stack/stack_init.go via workspace.SaveProjectStack).
- `stack select` of a missing stack: "error: no stack named 'X' found" (pkg/backend/backenderr),
  which the Automation API maps to StackNotFoundError.
- `stack history --json`: newest first, `--page-size` default 10 and `--page` default 1
  (pkg/cmd/pulumi/stack/stack_history.go; pkg/backend/diy/state.go getHistory reverses the
  name-sorted files); times as "%Y-%m-%dT%H:%M:%S.000Z".
- `stack output --json [--show-secrets]`, `stack tag set/get/ls`, `stack ls --json`; `config`,
  `config get/set` read and write the project stack file in the program directory
  (pkg/cmd/pulumi/config/config.go).
- `up`, `preview`, `refresh --preview-only`, `destroy`: a held lock fails with "the stack is
  currently locked by 1 lock(s)" (pkg/backend/diy/lock.go); the program runs in the virtualenv
  its Pulumi.yaml names, resolved relative to the program directory (the Python language host,
  sdk/python/cmd/pulumi-language-python); a missing one is created empty, so the program then
  cannot import pulumi; policy packs likewise run in the virtualenv of their PulumiPolicy.yaml;
  engine events go to `--event-log` (gRPC `tcp://` for CLIs above 3.205, as the Automation API
  expects): a resourcePreEvent per resource (op create, same or delete by URN, pkg/engine/events.go),
  then a summaryEvent; `--config-file` replaces the stack's config file.
- Protection: the program's registrations carry `protect` and `retainOnDelete` into the state.
  A destroy meeting a protected resource fails with the engine's text ("cannot be deleted because
  it is protected", pkg/resource/deploy/step.go deleteProtectedError), as does an update whose
  program no longer registers one; `destroy --exclude-protected` keeps each protected resource and
  what it depends on (parents, dependencies; destroy.go getProtectedExcludes), keeps the stack's
  outputs with them, and prints the CLI's "There are still N protected resources" lines.
- `cancel --yes --stack`: deletes every lock file of the stack, as the diy backend's
  CancelCurrentUpdate does (pkg/backend/diy/backend.go; pkg/cmd/pulumi/cancel.go wants --yes).
- `stack export`: apitype.UntypedDeployment, resources as ResourceV3 with `protect` and
  `retainOnDelete` omitted when false (sdk/go/common/apitype/core.go).

Not modelled: real resource providers (the program runs under Pulumi's mock runtime with a small
fake AWS: ids, ARNs, invokes), diffs between inputs (an update re-registering the same resources
reports them as `same`), secrets encryption, and Pulumi Cloud's own API beyond the URL rule above.
Every invocation is appended to `root/invocations.jsonl` (argv, cwd, backend), and every program
run to `root/programs.jsonl` (stack, program directory).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
# What the wrapper puts first on sys.path: this checkout's tests/, never the program's.
_REPO = PACKAGE.parent.parent.parent


def install(root: Path) -> Path:
    """Write `root/bin/pulumi`, an executable running this double with this interpreter."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    executable = bin_dir / "pulumi"
    executable.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(_REPO)!r})\n"
        "from tests.support.pulumi_cli.cli import main\n"
        f"sys.exit(main(sys.argv[1:], root={str(root)!r}))\n"
    )
    executable.chmod(0o755)
    return executable


def invocations(root: Path) -> list[dict[str, Any]]:
    """Every call the double answered, in order."""
    log = root / "invocations.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def programs(root: Path) -> list[dict[str, Any]]:
    """Every program the double ran: the stack, and the directory it ran from."""
    log = root / "programs.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
