"""Tell whether a folder given as ``--repo PATH`` (two arguments) changed the rootdir or configfile pytest chose.

pytest chooses its rootdir and configfile from the positional arguments of a first parse that knows only
pytest's own options (``Config.parse`` calls ``findpaths.determine_setup`` before it loads the plugins
installed through entry points, gtguard among them). In ``pytest --repo cand`` that first parse takes
``cand`` for a test path, so ``cand/pytest.ini`` can become the run's configfile, or a task's own
``pytest.ini`` can be passed over. ``--repo=cand`` is one argument and never a test path.

``changed_setup`` replays pytest's choice without the path, starting from what pytest did choose. Pure: no
pytest import (pytest's ``findpaths`` is private API), so it mirrors pytest 8 and 9's search instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection, Sequence
from pathlib import Path

__all__ = ["CONFIG_NAMES", "changed_setup", "separate_values"]

# Every file name pytest may read its configuration from (pytest.toml and .pytest.toml since pytest 9).
CONFIG_NAMES = ("pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml", "pyproject.toml", "tox.ini", "setup.cfg")


def separate_values(tokens: Sequence[str], flags: Collection[str]) -> list[tuple[str, str]]:
    """Return ``(flag, value)`` for every option in ``flags`` written with its value as the next argument."""
    end = tokens.index("--") if "--" in tokens else len(tokens)  # after "--" every argument is a test path
    return [
        (flag, value) for flag, value in itertools.pairwise(tokens[:end]) if flag in flags and not value.startswith("-")
    ]


def changed_setup(
    path: str,
    *,
    rootdir: Path,
    inifile: Path | None,
    test_paths: Sequence[str],
    invocation_dir: Path,
    config_file: str | None = None,
    rootdir_option: str | None = None,
) -> bool:
    """Return whether counting ``path`` among ``test_paths`` made pytest choose ``rootdir`` and ``inifile``.

    Args:
        path: the option's value as written on the command line.
        rootdir: the rootdir pytest chose (``config.rootpath``).
        inifile: the configfile pytest chose (``config.inipath``).
        test_paths: the positional arguments without ``path``.
        invocation_dir: the folder pytest was started in.
        config_file: the ``-c``/``--config-file`` value, if given.
        rootdir_option: the ``--rootdir`` value, if given.

    Conservative: when a folder only the run without ``path`` would have searched holds a file pytest
    might read its configuration from, this says True (rather than parse that file as pytest would).
    """
    honest = _dirs(test_paths, invocation_dir)
    extra = _dirs([path], invocation_dir)
    if not extra or extra[0] in honest:
        return False  # a missing folder is no test path; a folder named twice changes nothing
    try:
        honest_start = _common_ancestor(honest, invocation_dir)
        start = _common_ancestor([*honest, *extra], invocation_dir)
    except ValueError:  # folders on different drives (Windows): too unusual to model, refuse
        return True
    if config_file is not None:
        # -c FILE fixes the configfile, and the rootdir is its folder unless --rootdir says otherwise;
        # -c /dev/null (not a file) roots at the test paths' common ancestor.
        if rootdir_option or (invocation_dir / config_file).is_file():
            return False
        return _not_root(start, invocation_dir) != _not_root(honest_start, invocation_dir)
    # pytest searches from the common ancestor of the test paths upward; folders only the run without
    # `path` would search come first there. A config file in one of them may have been chosen instead.
    searched = set(_chain(start))
    unseen = [folder for folder in _chain(honest_start) if folder not in searched]
    if any((folder / name).is_file() for folder in unseen for name in CONFIG_NAMES):
        return True
    if inifile is not None:
        # Found by both searches exactly when it lies on the path up from the honest start.
        return inifile.parent not in _chain(honest_start)
    if rootdir_option:
        return False
    return rootdir != _rootdir_without_config(honest_start, invocation_dir)


def _dirs(args: Sequence[str], invocation_dir: Path) -> list[Path]:
    """Mirror pytest's ``get_dirs_from_args``: the existing test paths, as folders."""
    found: list[Path] = []
    for arg in args:
        if arg.startswith("-"):
            continue
        path = Path(os.path.normpath(invocation_dir / arg.split("::")[0]))
        try:
            if path.exists():
                found.append(path if path.is_dir() else path.parent)
        except (OSError, ValueError):  # a name too long for the file system is no test path either
            continue
    return found


def _common_ancestor(dirs: Sequence[Path], invocation_dir: Path) -> Path:
    return Path(os.path.commonpath(dirs)) if dirs else invocation_dir


def _chain(folder: Path) -> tuple[Path, ...]:
    return (folder, *folder.parents)


def _is_fs_root(folder: Path) -> bool:
    return os.path.splitdrive(str(folder))[1] == os.sep


def _not_root(folder: Path, invocation_dir: Path) -> Path:
    return invocation_dir if _is_fs_root(folder) else folder


def _rootdir_without_config(start: Path, invocation_dir: Path) -> Path:
    """Mirror pytest's rootdir when no config file was found: a setup.py folder, else a common ancestor."""
    for folder in _chain(start):
        if (folder / "setup.py").is_file():
            return folder
    common = _common_ancestor([invocation_dir, start], invocation_dir)
    return start if _is_fs_root(common) else common
