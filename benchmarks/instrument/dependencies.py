"""What a stored figure depends on besides the code, and whether it still holds here.

A figure (a ratio to a yardstick, an instruction count) depends on the code
measured and on its environment: Python, the libraries the case's code runs
on (the adapter's ``depends_on``), and, for a count, the toolchain that
counted it. A figure whose environment differs from this one in any of
those cannot judge the code: a library's new release moves it by itself.
One function (:func:`unjudged_reason`) decides this for the wall-clock gate
and the cost gate alike, naming each package that differs and the two ways
forward; a difference in a package the case does not depend on changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ALWAYS", "Environments", "differences", "unjudged_reason"]

#: What every figure depends on, whatever the case.
ALWAYS = ("python",)


def differences(
    there: Mapping[str, Any] | None, here: Mapping[str, Any], names: Iterable[str]
) -> list[str]:
    """Each of ``names`` whose version differs, as "opencv 5.0.0 there, 5.1.0 here", sorted.

    ``there`` is what a stored figure recorded (None: it recorded nothing).
    """
    stored = there or {}
    return sorted(
        f"{name} {stored.get(name, 'not recorded')} there, {here.get(name)} here"
        for name in dict.fromkeys(names)
        if stored.get(name) != here.get(name)
    )


def unjudged_reason(
    there: Mapping[str, Any] | None,
    here: Mapping[str, Any],
    names: Iterable[str],
    *,
    lock: str,
    record: str,
) -> str | None:
    """Why a stored figure cannot judge this environment's, or None when it can.

    ``names`` are what the figure depends on; ``lock`` is the file that pins
    the versions the stored figures were measured with, and ``record`` the
    command that re-records them here.
    """
    found = differences(there, here, names)
    if not found:
        return None
    return (
        f"measured with other versions of what it depends on ({'; '.join(found)}): not judged. "
        f"Install the versions it was measured with (python -m pip install -r {lock}), or "
        f"re-record it with these: {record}"
    )


@dataclass(frozen=True)
class Environments:
    """This environment and another, measured side by side, as one case depends on them."""

    here: Mapping[str, Any]
    there: Mapping[str, Any]
    names: tuple[str, ...]  # what the case depends on

    def changed(self) -> list[tuple[str, Any, Any]]:
        """(name, here, there) for each package the case depends on whose version differs."""
        return [
            (name, self.here.get(name), self.there.get(name))
            for name in dict.fromkeys(self.names)
            if self.here.get(name) != self.there.get(name)
        ]

    def describe_change(self, change: float) -> str:
        """ "1.07 times with opencv 5.1.0 than with 5.0.0": this side's time over the other's."""
        changed = self.changed()
        if not changed:
            return (
                f"{change:.2f} times here than with the other interpreter; nothing it depends "
                f"on differs ({', '.join(dict.fromkeys(self.names))})"
            )
        here = ", ".join(f"{name} {mine}" for name, mine, _ in changed)
        there = ", ".join(
            f"{theirs}" if len(changed) == 1 else f"{name} {theirs}" for name, _, theirs in changed
        )
        return f"{change:.2f} times with {here} than with {there}"

    def withheld(self, change: float) -> str | None:
        """Why a case that differs is not failed: nothing it depends on differs; else None.

        Two environments differ in the packages the case does not use, and their
        processes in where memory and threads land; the case's code and libraries
        are the same on both sides, so a difference is not the upgrade's doing.
        """
        if self.changed():
            return None
        return (
            f"{self.describe_change(change)}: the same code and libraries on both sides, so "
            "the difference is the two environments' processes, not an upgrade; not judged"
        )

    def describe_both(self) -> str:
        return "; ".join(
            f"{name} {self.here.get(name)} here, {self.there.get(name)} there"
            for name in dict.fromkeys(self.names)
        )
