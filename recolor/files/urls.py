"""Files at fsspec URLs (``s3://``, ``gs://``, ``memory://``, ...): fsspec's calls, one error each.

:class:`recolor.files.location.Url` reads and writes through these
(``pip install "recolor[dask]"``, plus the file system's own package, such
as ``s3fs``); every failure is an ImageFileError that names the URL.
"""

from __future__ import annotations

from typing import Any

from recolor.files.display import shown
from recolor.files.read import ImageFileError
from recolor.files.write import output_format

__all__ = [
    "check_output_url",
    "is_folder",
    "is_url",
    "make_folder_url",
    "process_local",
    "read_url",
    "write_url",
]


def is_url(text: str) -> bool:
    """Whether ``text`` is a URL (``scheme://...``) rather than a local path."""
    scheme, separator, _ = text.partition("://")
    return bool(separator) and scheme.isidentifier()


def process_local(url: str) -> bool:
    """Whether only this process sees the files at ``url`` (fsspec's ``memory://``).

    Each Dask worker process has its own; such files are read and written by
    the process that runs the batch, and their bytes travel to the workers.
    """
    return url.startswith("memory://")


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise ImageFileError(
            f'{shown(url)}: a URL needs fsspec: pip install "recolor[dask]"'
        ) from None
    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as error:
        raise ImageFileError(f"{shown(url)}: no file system for this URL ({error})") from None


def read_url(url: str) -> bytes:
    """The bytes of the file at ``url``, or ImageFileError."""
    filesystem, path = _filesystem(url)
    try:
        return bytes(filesystem.cat_file(path))
    except FileNotFoundError:
        raise ImageFileError(f"{shown(url)}: no such file") from None
    except IsADirectoryError:
        raise ImageFileError(f"{shown(url)}: is a folder, not an image file") from None
    except OSError as error:
        raise ImageFileError(f"{shown(url)}: could not be read ({error})") from None


def check_output_url(url: str, *, force: bool, skip_existing: bool = False) -> bool:
    """:func:`recolor.files.write.check_output_path` for a URL; False: skip it."""
    output_format(url)
    filesystem, path = _filesystem(url)
    if filesystem.isdir(path):
        raise ImageFileError(f"{shown(url)}: is a folder; give a file name")
    if filesystem.exists(path) and not force:
        if skip_existing:
            return False
        raise ImageFileError(
            f"{shown(url)}: already exists",
            "pass {force} to overwrite it, or {skip_existing} to skip it",
        )
    return True


def is_folder(url: str) -> bool:
    """Whether ``url`` names a folder."""
    filesystem, path = _filesystem(url)
    return bool(filesystem.isdir(path))


def make_folder_url(url: str) -> None:
    """Create the folder ``url`` where the file system has folders."""
    filesystem, path = _filesystem(url)
    try:
        filesystem.makedirs(path, exist_ok=True)
    except OSError as error:
        raise ImageFileError(f"{shown(url)}: cannot be created ({error})") from None


def write_url(url: str, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``url`` in one put; never over an existing file without ``force``."""
    filesystem, path = _filesystem(url)
    if not force and filesystem.exists(path):
        raise ImageFileError(f"{shown(url)}: already exists", "pass {force} to overwrite it")
    try:
        filesystem.pipe_file(path, data)
    except OSError as error:
        raise ImageFileError(f"{shown(url)}: could not be written ({error})") from None
