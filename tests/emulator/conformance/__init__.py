"""Provider-call conformance: terraform-provider-aws's calls, replayed against the emulator."""
