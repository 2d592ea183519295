"""Targets: what the local emulator's provider configuration points at."""

from __future__ import annotations

from orchestration import targets


def test_local_target_points_every_service_at_the_emulator() -> None:
    target = targets.local_target("http://127.0.0.1:4566")
    [endpoints] = target.config["aws:endpoints"]
    for service in ("dynamodb", "s3", "lambda", "iam", "ec2", "logs", "sts", "appautoscaling"):
        assert endpoints[service] == "http://127.0.0.1:4566"
    assert target.config["aws:s3UsePathStyle"] is True
    for skip in (
        "aws:skipCredentialsValidation",
        "aws:skipRequestingAccountId",
        "aws:skipMetadataApiCheck",
    ):
        assert target.config[skip] is True
    assert target.env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert targets.aws_target().config == {} and targets.aws_target().endpoint is None
