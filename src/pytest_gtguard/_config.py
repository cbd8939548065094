"""Read a declared gtguard option from a pytest ``Config`` with its provenance (glue for every feature)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.settings import ALL_OPTIONS, Option, Resolved, resolve

__all__ = ["option", "option_value"]


@cache
def _table() -> dict[str, Option]:
    return {opt.dest: opt for opt in ALL_OPTIONS}


def option(config: pytest.Config, dest: str) -> Resolved:
    """Return the value of option ``dest`` (CLI, env, ini, default) and where it came from.

    Works from ``pytest_load_initial_conftests`` on: it reads the early-parsed namespace.

    Raises:
        pytest.UsageError: the value cannot be parsed; the message names its source.
    """
    namespace = getattr(config, "known_args_namespace", config.option)
    try:
        return resolve(
            _table()[dest],
            cli=namespace,
            environ=os.environ,
            getini=config.getini,
            base=config.inipath.parent if config.inipath else config.rootpath,
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def option_value(config: pytest.Config, dest: str) -> Any:
    """Return just the value of option ``dest``."""
    return option(config, dest).value
