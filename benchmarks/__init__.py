"""Performance budgets, measured as ratios in one run (nox -s bench)."""
