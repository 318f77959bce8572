"""The base class of every error a user of recolor can cause and fix.

Kept free of imports, so that the command line can catch these errors from
its first moment, before numpy or Pillow is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["RecolorError"]


class RecolorError(Exception):
    """A failure the user can act on; its message is one line.

    ``remedy`` says what would make the call succeed, in terms of the
    options that allow it: ``"pass {force} to overwrite it"``. A Python
    caller reads the keyword arguments (``force=True``); the command line
    names its flags instead (:meth:`describe`).
    """

    def __init__(self, problem: str, remedy: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.remedy = remedy

    def describe(self, options: Mapping[str, str] | None = None) -> str:
        """The message, with each option of the remedy named as ``options`` names it.

        Without ``options``, an option is named as a keyword argument.

        Examples
        --------
        >>> error = RecolorError("out.png: already exists", "pass {force} to overwrite it")
        >>> error.describe()
        'out.png: already exists; pass force=True to overwrite it'
        >>> error.describe({"force": "--force"})
        'out.png: already exists; pass --force to overwrite it'
        """
        if not self.remedy:
            return self.problem
        names = _Keywords(options or {})
        return f"{self.problem}; {self.remedy.format_map(names)}"

    def __str__(self) -> str:
        return self.describe()


class _Keywords(dict[str, str]):
    """An option's name where one is given, else the keyword argument that sets it."""

    def __init__(self, options: Mapping[str, str]) -> None:
        super().__init__(options)

    def __missing__(self, key: str) -> str:
        return f"{key}=True"
