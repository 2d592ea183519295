"""Entry point the Pulumi engine runs for the pack (it serves until the engine is done)."""

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from guardrails.pack import PACK_NAME, policies

# PolicyPack takes a list of the base type; ours are all stack validations.
pack_policies: list[Policy] = [*policies()]
PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=pack_policies)
