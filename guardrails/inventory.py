"""Questions about resource types asked of the AWS SDK itself, not of a hand-kept list."""

from __future__ import annotations

import importlib
import inspect
from functools import cache


@cache
def is_taggable(type_token: str) -> bool:
    """Whether a pulumi-aws resource type accepts `tags` (components and references do not)."""
    provider, module, name = type_token.split(":")
    if provider != "aws":
        return False
    package = module.split("/")[0]
    for candidate in (package, f"{package}_"):  # `lambda` is a keyword: pulumi_aws.lambda_
        try:
            cls = getattr(importlib.import_module(f"pulumi_aws.{candidate}"), name)
        except (ImportError, AttributeError):
            continue
        return "tags" in inspect.signature(cls._internal_init).parameters
    raise LookupError(f"no pulumi-aws class for resource type {type_token}")
