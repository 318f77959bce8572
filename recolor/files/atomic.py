"""Writing a file so that it is either wholly there or not there at all.

The data goes to a temporary file beside the output, named
``.NAME.recolor-PID-TOKEN.tmp``, which is then moved into place:

- without ``overwrite``, by a hard link, which fails if anything (even a
  dangling symbolic link) holds the name: two writers can never both win,
  as they could if the check and the rename were two steps. A file of the
  very same bytes already there is no failure: there is nothing to write;
- with ``overwrite``, by a rename over the old file. The new file takes the
  old one's read, write and execute bits when the old file belongs to the
  user writing, never its set-user-ID, set-group-ID or sticky bits: a file
  another user planted (mode 06777, say) must not lend its bits to a file of
  ours. Another user's file, or a new one, gets the umask's default. A
  symbolic link is followed, so the link stays and its target is replaced;
  other hard links to the old file keep the old content.

Any exception, KeyboardInterrupt and the ones the command line raises for
SIGTERM and SIGHUP included, removes the temporary file. A process killed
outright (SIGKILL) leaves it behind; :func:`remove_leftovers` recognises the
temporary files of processes no longer running by their PID.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "remove_leftovers"]

_LEFTOVER = re.compile(r"^\..+\.recolor-(?P<pid>\d+)-[0-9a-f]+\.tmp$")


def atomic_write(
    path: Path, write: Callable[[BinaryIO], object], *, overwrite: bool = True
) -> None:
    """Call ``write`` on a temporary file beside ``path``, then move it to ``path``.

    A failure, in ``write`` or after it, removes the temporary file and leaves
    whatever was at ``path`` as it was. Without ``overwrite``, FileExistsError
    if ``path`` exists when the file is moved into place.
    """
    if overwrite:
        path = Path(os.path.realpath(path))
    temporary = path.parent / f".{path.name}.recolor-{os.getpid()}-{os.urandom(4).hex()}.tmp"
    try:
        # The name is known before the file exists, so cleanup cannot miss it.
        descriptor = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        # Readable too: Pillow reads back what it wrote of a multi-frame TIFF.
        with os.fdopen(descriptor, "w+b") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if overwrite:
            os.chmod(temporary, _mode_for(path))
            os.replace(temporary, path)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
            try:
                _link_exclusively(temporary, path)
            except FileExistsError:
                # The very bytes are there already: written by an earlier try of the same
                # work (a batch task run again after its worker died). Nothing to do.
                if not _same_content(temporary, path):
                    raise
    finally:
        # A stop signal's exception may land on any call, the removal's own included (after
        # a hard link, the temporary file is all that is left to remove): removed again then.
        try:
            _remove(temporary)
        except BaseException:
            _remove(temporary)
            raise


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files that killed recolor processes left in ``folder``."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = _LEFTOVER.match(entry.name)
            if match and not _running(int(match["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _link_exclusively(temporary: Path, path: Path) -> None:
    try:
        os.link(temporary, path)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # A file system without hard links: claim the name, then rename over the claim.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(temporary, path)


def _same_content(first: Path, second: Path) -> bool:
    try:
        return os.path.isfile(second) and filecmp.cmp(first, second, shallow=False)
    except OSError:
        return False


def _mode_for(path: Path) -> int:
    """The permission bits a file replacing ``path`` takes (see the module's docstring)."""
    try:
        old = os.stat(path)
    except FileNotFoundError:
        return 0o666 & ~_umask()
    if old.st_uid != os.geteuid():
        return 0o666 & ~_umask()
    return stat.S_IMODE(old.st_mode) & 0o777  # never set-user-ID, set-group-ID or sticky


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
