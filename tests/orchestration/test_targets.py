"""Targets: what the local emulator's provider configuration points at."""

from __future__ import annotations

from orchestration import targets
from tests.support.documents import Document


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


def test_every_synthesized_resource_type_reaches_an_emulated_endpoint(
    synthesized: dict[str, Document],
) -> None:
    types = {
        resource["type"]
        for document in synthesized.values()
        for layer in document["layers"]
        for resource in layer["resources"]
        if resource["type"].startswith("aws:")
    }
    modules = {t.split(":")[1].split("/")[0] for t in types}
    assert modules <= set(targets.STACK_MODULES), modules - set(targets.STACK_MODULES)
    unmapped = sorted(t for t in types if targets.endpoint_of(t) not in targets.EMULATED_SERVICES)
    assert unmapped == []
    # The alarms and their topic (issue 14) go to the emulator too, not only via AWS_ENDPOINT_URL.
    assert {"sns", "cloudwatch", "logs"} <= set(targets.EMULATED_SERVICES)
