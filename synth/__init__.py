"""Offline synth: the stack programs under Pulumi's mock runtime, written to build/synth/."""
