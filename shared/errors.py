"""User-facing errors: one line each, naming what is wrong and what is allowed."""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """A mistake a user can fix; printed as one line, never as a traceback."""


class ConfigError(PlatformError, ValueError):
    """A configuration value that is not allowed."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key} = {value!r} is not allowed; expected {allowed}")
