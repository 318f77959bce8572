"""recolor: replace one colour in an image, by many techniques proven identical.

Every technique takes ``(image, old, new, *, tolerance=0, out=None)`` and
returns an array; :data:`TECHNIQUES` lists them, and :func:`recolor` picks
the fastest.

``import recolor`` loads none of numpy, OpenCV or Pillow: each public name,
listed in ``__init__.pyi``, is imported from its module when first used
(``lazy_loader``), so that the command line handles Ctrl-C from its first
moment and a script pays only for what it uses.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import lazy_loader

_stub_getattr, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # `from recolor import core` asks here before it imports the submodule;
        # looking among the techniques would import them all, and numpy.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        try:
            value = _stub_getattr(name)
        except AttributeError:  # lazy_loader's wording, made Python's
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value  # once: later uses are plain attribute reads
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("recolor")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
