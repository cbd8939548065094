"""Word statistics for short texts."""
