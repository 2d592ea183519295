"""Security rules as plain functions over resources as the engine sees them (type, inputs).

One definition per rule, two runners: `nox -s guardrails` over the offline synth, and the
pulumi-policy pack in policy_pack/ that the engine enforces on every deploy and preview.
"""
