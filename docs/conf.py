"""Sphinx configuration for pytest-gtguard's documentation (MyST Markdown)."""

project = "pytest-gtguard"
author = "pytest-gtguard developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "furo"  # wide code blocks scroll instead of being clipped
