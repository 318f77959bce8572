"""Writing a file so that it is either wholly there or not there at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write"]


def atomic_write(
    path: Path, write: Callable[[BinaryIO], object], *, overwrite: bool = True
) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it to ``path``.

    A failure, in ``write`` or after it, removes the temporary file and leaves
    whatever was at ``path`` as it was. With ``overwrite`` false, an existing
    ``path`` raises FileExistsError (checked again just before the rename, in
    case it appeared meanwhile).
    """
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if not overwrite and path.exists():
            raise FileExistsError(f"{path} already exists")
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
