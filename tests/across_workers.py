"""What the tests' processes under pytest-xdist share: a folder, locks, and things made once.

pytest-xdist's ``--dist loadgroup`` would keep tests on one worker by their
``xdist_group`` mark, but under pytest 9.2 it silently groups nothing (it
renames the items' node ids through an attribute pytest no longer reads:
pytest-dev/pytest-xdist#1386). A lock file says "one at a time" to every
worker of the run, whatever the scheduler does, and without pytest-xdist too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

__all__ = ["made_once", "one_at_a_time", "shared_folder"]


def shared_folder(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this run that every worker sees: the parent of the workers' own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


@contextlib.contextmanager
def one_at_a_time(
    name: str, config: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Held by one process of the run at a time, among all that ask for ``name``."""
    # Imported here: the bench command (its own extras, no filelock) loads the tests'
    # conftest.py as it collects, and never runs a test that locks.
    from filelock import FileLock

    with FileLock(shared_folder(config, tmp_path_factory) / f"{name}.lock"):
        yield


def made_once(
    name: str,
    make: Callable[[], str],
    config: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """What ``make`` returns, made by the first worker of the run to ask, read by the rest."""
    made = shared_folder(config, tmp_path_factory) / name
    with one_at_a_time(name, config, tmp_path_factory):
        if not made.is_file():
            made.write_text(make())
        return made.read_text()
