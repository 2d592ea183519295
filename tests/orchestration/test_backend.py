"""State per environment: a backend URL each, and a secrets passphrase never prompted for."""

from __future__ import annotations

import pytest

from orchestration import backend
from orchestration.backend import (
    DEFAULT_BASE,
    LOCAL_PASSPHRASE,
    backend_base,
    backend_url,
    passphrase_env,
)
from shared.errors import PlatformError


def test_each_environment_has_its_own_state_url() -> None:
    urls = {
        env: backend_url(backend_base(None, {}), env) for env in ("dev", "staging", "production")
    }
    assert urls["production"] == f"{DEFAULT_BASE}/trading-analytics/production"
    assert len(set(urls.values())) == 3
    assert backend_url(backend_base("s3://state-bucket/", {}), "dev") == (
        "s3://state-bucket/trading-analytics/dev"
    )
    assert backend_base(None, {backend.BACKEND_ENV: "gs://b"}) == "gs://b"
    assert backend_base("s3://flag", {backend.BACKEND_ENV: "gs://env"}) == "s3://flag"


def test_passphrase_never_prompts() -> None:
    local = backend_url(DEFAULT_BASE, "dev")
    assert passphrase_env(local, {}) == {"PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE}
    assert passphrase_env("https://api.pulumi.com", {}) == {}
    assert passphrase_env("s3://b/trading-analytics/dev", {"PULUMI_CONFIG_PASSPHRASE": "x"}) == {}
    with pytest.raises(PlatformError, match="needs a secrets passphrase; set PULUMI_CONFIG_PASS"):
        passphrase_env("s3://b/trading-analytics/dev", {})
