"""The function's configuration, read once per container from its environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

REQUIRED = ("TABLE_NAME", "BUCKET_NAME", "ENVIRONMENT")


class ConfigurationError(RuntimeError):
    """The deployment is wrong (not the event): fail the container's start, loudly."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    bucket_name: str
    environment: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        missing = [name for name in REQUIRED if not environ.get(name, "").strip()]
        if missing:
            raise ConfigurationError(
                f"missing environment variable {', '.join(missing)}; the compute stack sets "
                f"{', '.join(REQUIRED)}"
            )
        return cls(
            table_name=environ["TABLE_NAME"].strip(),
            bucket_name=environ["BUCKET_NAME"].strip(),
            environment=environ["ENVIRONMENT"].strip(),
        )
