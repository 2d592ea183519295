"""Resource-type questions answered by the pulumi-aws SDK itself."""

from __future__ import annotations

import pytest

from guardrails.inventory import is_taggable


def test_taggability_is_read_from_the_sdk() -> None:
    assert is_taggable("aws:ec2/vpc:Vpc")
    assert is_taggable("aws:lambda/function:Function")
    assert not is_taggable("aws:iam/rolePolicy:RolePolicy")
    assert not is_taggable("pulumi:pulumi:StackReference")
    with pytest.raises(LookupError):
        is_taggable("aws:ec2/noSuchThing:NoSuchThing")
