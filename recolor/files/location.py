"""Where an image file is: a local path or an fsspec URL, behind one interface.

A batch names its inputs and outputs as :class:`Location` objects, made by
:func:`location` from what the user wrote, and reads, checks and writes them
through its methods alone: a :class:`LocalFile` is written atomically
(:mod:`recolor.files.atomic`), a :class:`Url` through fsspec
(:mod:`recolor.files.urls`). Nothing above this module asks which it has.
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from recolor.files import urls
from recolor.files.atomic import remove_leftovers
from recolor.files.display import shown
from recolor.files.read import ImageFileError
from recolor.files.write import EncodedImage, check_output_path, save, write_file, write_image

__all__ = ["LocalFile", "Location", "Url", "location"]


class Location(ABC):
    """An image file, or a folder of them, that a batch reads or writes."""

    #: Whether only this process sees the file (fsspec's ``memory://``): its bytes are read
    #: and written here, and travel to and from a Dask worker.
    only_here: bool = False
    #: Whether it is a URL, which only a batch on Dask reads and writes.
    is_url: bool = False

    @property
    @abstractmethod
    def name(self) -> str:
        """The file name at the end of the path or URL."""

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    @abstractmethod
    def parent(self) -> Location:
        """The folder the file is in."""

    @abstractmethod
    def joined(self, name: str) -> Location:
        """The file ``name`` inside this folder."""

    @abstractmethod
    def is_folder(self) -> bool:
        """Whether a folder is there."""

    @abstractmethod
    def make_folder(self) -> None:
        """Make this folder (and its parents) if it is not there; ImageFileError if it cannot be."""

    @abstractmethod
    def readable(self) -> Path | BinaryIO:
        """What Pillow opens to read the file (its bytes, for a URL); ImageFileError if none."""

    @abstractmethod
    def read_bytes(self) -> bytes:
        """The file's bytes, or ImageFileError."""

    @abstractmethod
    def check_output(self, *, force: bool, skip_existing: bool = False) -> bool:
        """Refuse, before any work, an output that cannot be written; False: skip it."""

    @abstractmethod
    def write(self, encoded: EncodedImage, *, force: bool) -> None:
        """Write ``encoded`` here, whole or not at all; never over a file without ``force``."""

    @abstractmethod
    def write_bytes(self, data: bytes, *, force: bool) -> list[str]:
        """Write an encoded file's ``data`` here, as :meth:`write` would; its notes on links."""

    def is_same_file(self, other: Location) -> bool:
        """Whether ``other`` names this very file (it exists, by another name or the same)."""
        return False

    def remove_leftovers(self) -> None:  # noqa: B027 (an object store leaves no temporary file)
        """Remove, from this folder, temporary files of recolor processes that are gone."""


@dataclass(frozen=True)
class LocalFile(Location):
    """A path on this machine, written atomically."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def parent(self) -> LocalFile:
        return LocalFile(self.path.parent)

    def joined(self, name: str) -> LocalFile:
        return LocalFile(self.path / name)

    def is_folder(self) -> bool:
        return self.path.is_dir()

    def make_folder(self) -> None:
        try:
            if self.path.exists() and not self.path.is_dir():
                raise ImageFileError(f"{shown(self)}: is a file, not a folder")
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = error.strerror or str(error)
            raise ImageFileError(f"{shown(self)}: cannot be created ({reason})") from None

    def readable(self) -> Path:
        return self.path

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def check_output(self, *, force: bool, skip_existing: bool = False) -> bool:
        return check_output_path(self.path, force=force, skip_existing=skip_existing)

    def write(self, encoded: EncodedImage, *, force: bool) -> None:
        write_image(encoded, self.path, force=force)

    def write_bytes(self, data: bytes, *, force: bool) -> list[str]:
        return write_file(self.path, lambda file: file.write(data), force=force)

    def is_same_file(self, other: Location) -> bool:
        if not isinstance(other, LocalFile):
            return False
        try:
            return self.path.exists() and os.path.samefile(self.path, other.path)
        except OSError:
            return False  # the other is missing: its own error, when it is read

    def remove_leftovers(self) -> None:
        remove_leftovers(self.path)


@dataclass(frozen=True)
class Url(Location):
    """A file at an fsspec URL (``s3://``, ``gs://``, ``memory://``, ...), written in one put.

    An object store writes an object whole or not at all, so no temporary
    file is needed; its refusal of an existing output is a check before the
    write, so two batches writing the same URL at once may both write it.
    """

    url: str
    is_url = True

    def __str__(self) -> str:
        return self.url

    @property
    def only_here(self) -> bool:  # type: ignore[override]
        return urls.process_local(self.url)

    @property
    def name(self) -> str:
        return PurePosixPath(self.url.split("://", 1)[1]).name

    @property
    def parent(self) -> Url:
        return Url(self.url.rstrip("/").rpartition("/")[0])

    def joined(self, name: str) -> Url:
        return Url(f"{self.url.rstrip('/')}/{name}")

    def is_folder(self) -> bool:
        return urls.is_folder(self.url)

    def make_folder(self) -> None:
        urls.make_folder_url(self.url)

    def readable(self) -> BinaryIO:
        return io.BytesIO(self.read_bytes())

    def read_bytes(self) -> bytes:
        return urls.read_url(self.url)

    def check_output(self, *, force: bool, skip_existing: bool = False) -> bool:
        return urls.check_output_url(self.url, force=force, skip_existing=skip_existing)

    def write(self, encoded: EncodedImage, *, force: bool) -> None:
        buffer = io.BytesIO()
        save(encoded, buffer, self)
        self.write_bytes(buffer.getvalue(), force=force)

    def write_bytes(self, data: bytes, *, force: bool) -> list[str]:
        urls.write_url(self.url, data, force=force)
        return []


def location(text: str | Path) -> Location:
    """What the user wrote as a :class:`Location`: a URL kept as written, else a local path.

    ``file://`` URLs are local paths.
    """
    if isinstance(text, Path):
        return LocalFile(text)
    if not urls.is_url(text):
        return LocalFile(Path(text))
    if text.startswith("file://"):
        return LocalFile(Path(text.removeprefix("file://")))
    return Url(text)
