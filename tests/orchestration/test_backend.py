"""State per environment: a backend URL each, and a secrets passphrase never prompted for."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from orchestration import backend
from orchestration.backend import (
    LOCAL_PASSPHRASE,
    STATE_DIR,
    backend_base,
    backend_url,
    default_base,
    passphrase_env,
)
from shared.errors import PlatformError
from shared.layers import REPO_ROOT


def test_each_environment_has_its_own_state_url() -> None:
    urls = {
        env: backend_url(backend_base(None, "local", {}), env)
        for env in ("dev", "staging", "production")
    }
    assert urls["production"] == f"{STATE_DIR.as_uri()}/local/trading-analytics/production"
    assert len(set(urls.values())) == 3
    assert backend_url(backend_base("s3://state-bucket/", "aws", {}), "dev") == (
        "s3://state-bucket/trading-analytics/dev"
    )
    assert backend_base(None, "aws", {backend.BACKEND_ENV: "gs://b"}) == "gs://b"
    assert backend_base("s3://flag", "aws", {backend.BACKEND_ENV: "gs://env"}) == "s3://flag"


def test_each_target_has_its_own_default_state() -> None:
    local, aws = default_base("local"), default_base("aws")
    assert local != aws and local.startswith(STATE_DIR.as_uri())


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("s3://b?region=eu-west-1", "s3://b/trading-analytics/dev?region=eu-west-1"),
        (
            "s3://b/state/?region=eu-west-1&awssdk=v2",
            "s3://b/state/trading-analytics/dev?region=eu-west-1&awssdk=v2",
        ),
        ("gs://bucket", "gs://bucket/trading-analytics/dev"),
        ("file:///a%20b/state", "file:///a%20b/state/trading-analytics/dev"),
        ("https://api.pulumi.com", "https://api.pulumi.com"),
        ("https://pulumi.example.com/", "https://pulumi.example.com"),
    ],
)
def test_the_environment_goes_into_the_path_and_cloud_urls_stay_as_given(
    base: str, url: str
) -> None:
    assert backend_url(base, "dev") == url


def test_passphrase_never_prompts() -> None:
    local = backend_url(default_base("local"), "dev")
    assert passphrase_env(local, {}) == {"PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE}
    assert passphrase_env("https://api.pulumi.com", {}) == {}
    assert passphrase_env("s3://b/trading-analytics/dev", {"PULUMI_CONFIG_PASSPHRASE": "x"}) == {}
    with pytest.raises(PlatformError, match="needs a secrets passphrase; set PULUMI_CONFIG_PASS"):
        passphrase_env("s3://b/trading-analytics/dev", {})


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("file://", "names no directory; expected file:///ABSOLUTE/PATH"),
        ("file://mystate", "'mystate' would be read as a host and dropped; expected file:///"),
        ("s3://", "names no bucket; expected s3://BUCKET[/PREFIX][?OPTIONS]"),
        ("s3://?region=eu-west-1", "names no bucket"),
        ("s3://My_Bucket", "'My_Bucket' is not an S3 bucket name"),
        ("gs://", "names no bucket"),
        ("https://api.pulumi.com/some/path", "a Pulumi Cloud URL takes no path or query"),
        ("ftp://host/x", "is not a backend URL"),
    ],
)
def test_a_backend_url_its_scheme_cannot_use_is_refused_in_one_line(given: str, says: str) -> None:
    with pytest.raises(PlatformError, match=re.escape(says)) as caught:
        backend_base(given, "aws", {})
    assert str(caught.value).startswith(f"--backend {given!r}") and "\n" not in str(caught.value)


def test_a_relative_file_backend_is_resolved_against_the_checkout_and_said_so() -> None:
    said: list[str] = []
    base = backend_base("file://./.state/mystate", "aws", {}, said.append)
    assert base == (REPO_ROOT / ".state" / "mystate").as_uri()
    assert said == [
        f"backend: file://./.state/mystate is relative; it is resolved against the checkout: {base}"
    ]
    assert backend_base("file:///abs/state", "aws", {}, said.append) == "file:///abs/state"
    assert backend_base("file://~/state", "aws", {}) == (Path.home() / "state").as_uri()


def test_the_environment_variable_is_named_when_it_is_wrong() -> None:
    with pytest.raises(
        PlatformError, match=r"^\$TRADING_ANALYTICS_BACKEND 's3://' names no bucket"
    ):
        backend_base(None, "aws", {backend.BACKEND_ENV: "s3://"})


def test_state_inside_the_working_tree_must_be_git_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout of the test's own: a state file git sees would make every deploy `-dirty`.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setattr(backend, "REPO_ROOT", tmp_path)
    for given in ("file://./mystate", f"file://{tmp_path}/mystate"):
        with pytest.raises(PlatformError) as caught:
            backend_base(given, "aws", {})
        message = str(caught.value)
        assert message.startswith(f"--backend {given!r} keeps the state inside the working tree")
        assert "(mystate/)" in message and "add mystate/ to .gitignore" in message
        assert "\n" not in message and "rollback and promote refuse" in message
    (tmp_path / ".gitignore").write_text("mystate/\n")
    assert backend_base("file://./mystate", "aws", {}) == (tmp_path / "mystate").as_uri()
    assert backend_base(f"file://{tmp_path.parent}/x", "aws", {}) == f"file://{tmp_path.parent}/x"


def test_a_checkout_that_is_no_git_repository_takes_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend, "REPO_ROOT", tmp_path)  # an unpacked archive: nothing to dirty
    assert backend_base("file://./mystate", "aws", {}) == (tmp_path / "mystate").as_uri()
