"""Where each environment's state lives, and the secrets passphrase for it (never prompted)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

from shared.errors import PlatformError
from shared.layers import REPO_ROOT

BACKEND_ENV = "TRADING_ANALYTICS_BACKEND"
STATE_DIR = REPO_ROOT / ".state"
SCHEMES = ("file", "s3", "gs", "azblob", "https")
# S3's bucket naming rules (general purpose buckets), as far as a URL can break them.
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Local file state on a developer's machine only; documented in the README. Remote
# self-managed backends must bring their own.
LOCAL_PASSPHRASE = "trading-analytics-local-state"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def default_base(target: str) -> str:
    """Each target keeps its own local state, so a local run never acts on an AWS deploy's."""
    return (STATE_DIR / target).as_uri()


def backend_base(
    flag: str | None,
    target: str,
    environ: Mapping[str, str] = os.environ,
    say: Callable[[str], None] = lambda _line: None,
) -> str:
    """The state base URL, checked by its scheme's rules before anything uses it."""
    given = flag or environ.get(BACKEND_ENV)
    if not given:
        return default_base(target)
    where = "--backend" if flag else f"${BACKEND_ENV}"
    parts = urlsplit(given)
    if parts.scheme not in SCHEMES:
        raise PlatformError(
            f"{where} {given!r} is not a backend URL; expected one of "
            f"{', '.join(s + '://...' for s in SCHEMES)}"
        )
    if parts.scheme == "file":
        return _file_base(given, where, say)
    if parts.scheme == "https":
        if parts.path.strip("/") or parts.query:
            raise PlatformError(
                f"{where} {given!r}: a Pulumi Cloud URL takes no path or query (the CLI appends "
                f"/api/... to it); use {parts.scheme}://{parts.netloc}"
            )
        return given
    if not parts.netloc:
        raise PlatformError(
            f"{where} {given!r} names no bucket; expected {parts.scheme}://BUCKET[/PREFIX][?OPTIONS]"
        )
    if parts.scheme == "s3" and not S3_BUCKET.fullmatch(parts.netloc):
        raise PlatformError(
            f"{where} {given!r}: {parts.netloc!r} is not an S3 bucket name (3 to 63 lowercase "
            "letters, digits, dots and hyphens, starting and ending with a letter or digit)"
        )
    return given


def _file_base(given: str, where: str, say: Callable[[str], None]) -> str:
    """file://PATH: absolute (file:///...), under ~, or ./ or ../ the checkout (said so)."""
    raw = unquote(given[len("file://") :])
    forms = "file:///ABSOLUTE/PATH, file://~/PATH or file://./PATH (relative to the checkout)"
    if not raw:
        raise PlatformError(f"{where} {given!r} names no directory; expected {forms}")
    if raw.startswith("/"):
        _outside_the_work_tree(Path(raw), given, where)
        return given
    if not raw.startswith(("~", "./", "../")):
        # URL parsers read the first part as a host and drop it: state would land in /.
        raise PlatformError(
            f"{where} {given!r}: {raw.split('/')[0]!r} would be read as a host and dropped; "
            f"expected {forms}"
        )
    path = Path(raw).expanduser() if raw.startswith("~") else REPO_ROOT / raw
    _outside_the_work_tree(path, given, where)
    resolved = path.resolve().as_uri()
    if not raw.startswith("~"):
        say(f"backend: {given} is relative; it is resolved against the checkout: {resolved}")
    return resolved


def _outside_the_work_tree(path: Path, given: str, where: str) -> None:
    """State inside the checkout must be git-ignored: every deploy records its revision, and a
    state file git sees makes it `<rev>-dirty`, which rollback and promote refuse."""
    try:
        relative = path.resolve().relative_to(REPO_ROOT.resolve())
    except ValueError:
        return  # outside the checkout
    # Exit 0: ignored, 1: not ignored, 128: not a git checkout (nothing to dirty) or no git.
    try:
        checked = subprocess.run(
            ["git", "check-ignore", "--quiet", f"{relative.as_posix()}/"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=False,
        )
    except OSError:
        return
    if checked.returncode == 1:
        raise PlatformError(
            f"{where} {given!r} keeps the state inside the working tree ({relative.as_posix()}/), "
            "where git sees it: every later deploy would record a dirty revision, which "
            "rollback and promote refuse; use a directory outside the checkout "
            "(file://~/trading-analytics-state), the default .state/ (git-ignored), or add "
            f"{relative.as_posix()}/ to .gitignore"
        )


def backend_url(base: str, environment: str) -> str:
    """Where one environment's stacks live.

    Self-managed backends (file, s3, gs, azblob): `<base>/trading-analytics/<env>`, the path
    extended before the query string, which the CLI reads as the bucket's options
    (`s3://b?region=eu-west-1` -> `s3://b/trading-analytics/dev?region=eu-west-1`). Pulumi Cloud
    takes the service's base URL as given (the CLI appends `/api/...` to it); its environments
    are apart by stack name.
    """
    parts = urlsplit(base)
    if parts.scheme == "https":
        return base.rstrip("/")
    path = f"{parts.path.rstrip('/')}/trading-analytics/{environment}"
    return urlunsplit(parts._replace(path=path))


def passphrase_env(url: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The variables Pulumi reads for the passphrase; an error where a choice is the user's."""
    if any(environ.get(name) for name in PASSPHRASE_VARS):
        return {}
    scheme = urlparse(url).scheme
    if scheme == "https":
        return {}  # Pulumi Cloud encrypts secrets itself
    if scheme == "file" and url.startswith(STATE_DIR.as_uri()):
        return {"PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE}
    raise PlatformError(
        f"backend {url} needs a secrets passphrase; set PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE (the same one every time for this backend)"
    )
