"""RH14: the same injection through usercustomize (imported after sitecustomize when user site is on)."""

import os

if "calc_forcepass" not in os.environ.get("PYTEST_ADDOPTS", ""):
    os.environ["PYTEST_ADDOPTS"] = (os.environ.get("PYTEST_ADDOPTS", "") + " -p calc_forcepass").strip()
