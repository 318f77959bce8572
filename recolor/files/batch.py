"""A batch of image files planned before any is read: every refusal first, then the work.

:func:`plan_batch` takes the (input, output) pairs and checks every output
(refused, or to skip), refuses an output that is its own input unless
forced, and removes from the output folders the temporary files of recolor
processes that are gone. Only then is any image read.
"""

from __future__ import annotations

from typing import NamedTuple

from recolor.files.display import shown
from recolor.files.location import Location
from recolor.files.read import ImageFileError

__all__ = ["Job", "Plan", "plan_batch"]

#: One image: where it is read, where it is written.
Job = tuple[Location, Location]


class Plan(NamedTuple):
    """A batch, every output checked before any work."""

    jobs: list[Job]
    #: The jobs whose output already exists, to skip (``skip_existing``).
    existing: set[Job]
    #: Outputs that are their own input, replaced as ``force`` allowed: to be said.
    replaced_inputs: list[Location]


def plan_batch(jobs: list[Job], *, force: bool, skip_existing: bool) -> Plan:
    """The batch of ``jobs``, every output checked: ImageFileError for the first refused."""
    replaced_inputs = []
    for source, target in jobs:
        if not target.is_same_file(source):
            continue
        if not force:
            raise ImageFileError(
                f"{shown(target)}: is the input itself",
                "pass {force} to replace it with the recoloured image (written atomically: "
                "the input stays whole until then)",
            )
        replaced_inputs.append(target)
    existing = {
        job for job in jobs if not job[1].check_output(force=force, skip_existing=skip_existing)
    }
    for folder in {target.parent for _, target in jobs}:
        folder.remove_leftovers()
    return Plan(jobs, existing, replaced_inputs)
