"""Where each environment's state lives, and the secrets passphrase for it (never prompted)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from shared.errors import PlatformError
from shared.layers import REPO_ROOT

BACKEND_ENV = "TRADING_ANALYTICS_BACKEND"
STATE_DIR = REPO_ROOT / ".state"
DEFAULT_BASE = STATE_DIR.as_uri()
SCHEMES = ("file", "s3", "gs", "azblob", "https")
# Local file state on a developer's machine only; documented in the README. Remote
# self-managed backends must bring their own.
LOCAL_PASSPHRASE = "trading-analytics-local-state"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def backend_base(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    base = flag or environ.get(BACKEND_ENV) or DEFAULT_BASE
    scheme = urlparse(base).scheme
    if scheme not in SCHEMES:
        raise PlatformError(
            f"--backend {base!r} is not a backend URL; expected one of "
            f"{', '.join(s + '://...' for s in SCHEMES)}"
        )
    return base.rstrip("/")


def backend_url(base: str, environment: str) -> str:
    """`<base>/trading-analytics/<env>`: every environment in a state store of its own."""
    return f"{base}/trading-analytics/{environment}"


def passphrase_env(url: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The variables Pulumi reads for the passphrase; an error where a choice is the user's."""
    if any(environ.get(name) for name in PASSPHRASE_VARS):
        return {}
    scheme = urlparse(url).scheme
    if scheme == "https":
        return {}  # Pulumi Cloud encrypts secrets itself
    if scheme == "file" and url.startswith(DEFAULT_BASE):
        return {"PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE}
    raise PlatformError(
        f"backend {url} needs a secrets passphrase; set PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE (the same one every time for this backend)"
    )
