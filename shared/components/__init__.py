"""ComponentResources, one module per layer."""
