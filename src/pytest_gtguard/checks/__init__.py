"""Negative constraints (forbidden imports and calls, syntax level, dependencies) and determinism checks."""
