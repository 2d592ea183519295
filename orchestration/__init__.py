"""Orchestration of the layer stacks: plain Python over an Engine; Pulumi is one adapter."""
