"""Hypothesis under gtguard: derandomized, no example database, no deadline (docs/split.md)."""
