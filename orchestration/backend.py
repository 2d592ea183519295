"""Where each environment's state lives, and the secrets passphrase for it (never prompted)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse, urlsplit, urlunsplit

from shared.errors import PlatformError
from shared.layers import REPO_ROOT

BACKEND_ENV = "TRADING_ANALYTICS_BACKEND"
STATE_DIR = REPO_ROOT / ".state"
SCHEMES = ("file", "s3", "gs", "azblob", "https")
# Local file state on a developer's machine only; documented in the README. Remote
# self-managed backends must bring their own.
LOCAL_PASSPHRASE = "trading-analytics-local-state"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def default_base(target: str) -> str:
    """Each target keeps its own local state, so a local run never acts on an AWS deploy's."""
    return (STATE_DIR / target).as_uri()


def backend_base(flag: str | None, target: str, environ: Mapping[str, str] = os.environ) -> str:
    base = flag or environ.get(BACKEND_ENV) or default_base(target)
    scheme = urlparse(base).scheme
    if scheme not in SCHEMES:
        raise PlatformError(
            f"--backend {base!r} is not a backend URL; expected one of "
            f"{', '.join(s + '://...' for s in SCHEMES)}"
        )
    return base


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
