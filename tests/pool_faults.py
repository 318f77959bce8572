"""Pool processes that fail as real ones do, for tests/test_cli_pool.py.

Each function stands in for :func:`recolor.cli.batch.run_job` in a pool
process of ``recolor apply`` (it is sent there by name): it runs the real
one, but for the image it is told to fail.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from recolor.cli import batch
from recolor.cli.batch import Result, run_job

#: An image whose name holds this kills its pool process every time.
POISON = "poison"


def dies_on_poison(source: Any, *arguments: Any) -> Result:
    if POISON in source.name:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_job(source, *arguments)


def dies_once_per_image(source: Any, *arguments: Any) -> Result:
    """The first try of each image kills its process (a mark beside the image says it did)."""
    mark = source.path.with_name(f".{source.name}.died")
    if not mark.exists():
        mark.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_job(source, *arguments)


def out_of_memory_on_a(source: Any, *arguments: Any) -> Result:
    """MemoryError while a.png is recoloured, caught where the real one would be."""
    real = batch.recolor_file  # type: ignore[attr-defined]

    def recolor_file(source: Any, *rest: Any, **options: Any) -> Any:
        if source.name == "a.png":
            raise MemoryError
        return real(source, *rest, **options)

    setattr(batch, "recolor_file", recolor_file)  # noqa: B010  # in this pool process only
    try:
        return run_job(source, *arguments)
    finally:
        setattr(batch, "recolor_file", real)  # noqa: B010
