"""Entry point the Pulumi engine runs for the pack (it serves until the engine is done)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from shared.guardrails.pack import PACK_NAME, policies

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
