"""What ``recolor apply`` promises of a batch, wherever its images are recoloured.

The arguments become a plan (recolor.files.batch), every output refused or
skipped before any image is read; each image gets one line, the batch its
count, and the exit status is 1 if any image failed. The command's own
process (recolor.cli.apply) and a Dask cluster (recolor.cli.cluster) both go
through here.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from recolor.cli.options import CommandError, UsageError, described
from recolor.cli.signals import raise_stop_received
from recolor.core.threads import set_thread_limit
from recolor.errors import RecolorError
from recolor.files.batch import Job, Plan, plan_batch
from recolor.files.display import shown
from recolor.files.job import Outcome, Settings, recolor_file
from recolor.files.location import Location
from recolor.files.read import ImageFileError

__all__ = [
    "FAST_PNG_MIN_BYTES",
    "Result",
    "Tally",
    "finish",
    "input_bytes",
    "plan_jobs",
    "progress_bar",
    "run_job",
    "settings_from",
]


#: recolor's PNG writer (recolor.files.png) saves 106 ns a pixel against Pillow's encoder, and
#: needs numpy and zlib-ng, which cost a fresh process 0.18 s to import: it pays from 1.7
#: megapixels, about 1 MB of PNG (the 998x998 portrait: 0.57 MB). So a command whose inputs
#: add up to less leaves PNGs to Pillow, every image of it alike (AMD EPYC, family 25 model 1,
#: AVX2: python -m tools.cli_timing --png-figure, and fresh processes' imports, 2026-12-04).
FAST_PNG_MIN_BYTES = 1_000_000


def settings_from(args: argparse.Namespace, plan: Plan) -> Settings:
    """What ``recolor apply``'s options, and the size of the batch ``plan``, ask of every image."""
    return Settings(
        args.old,
        args.new,
        args.tolerance,
        args.technique,
        args.allow_lossy,
        args.force,
        args.max_pixels,
        fast_png=input_bytes(plan) >= FAST_PNG_MIN_BYTES,
    )


def input_bytes(plan: Plan) -> int:
    """What the inputs still to recolour weigh, as far as this process can tell (local files)."""
    total = 0
    for job in plan.jobs:
        if job in plan.existing:
            continue
        readable = job[0].readable()
        if isinstance(readable, Path):
            with contextlib.suppress(OSError):  # unreadable: it fails in its turn
                total += readable.stat().st_size
    return total


def plan_jobs(args: argparse.Namespace) -> Plan:
    """The batch the arguments name, every output checked before any work
    (:func:`recolor.files.batch.plan_batch`); a replaced input is said on stderr."""
    paths: list[Location] = args.paths
    if args.out_dir is None:
        if len(paths) != 2:
            got = "1 path" if len(paths) == 1 else f"{len(paths)} paths"
            raise UsageError(f"apply takes INPUT OUTPUT, or INPUT... --out-dir DIR; got {got}")
        source, target = paths
        if target.is_folder():
            raise UsageError(
                f"{shown(target)}: is a folder; to write into it under the input's name, pass "
                f"--out-dir {shown(target)}"
            )
        jobs = [(source, target)]
    else:
        out_dir: Location = args.out_dir
        names = [source.name for source in paths]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise UsageError(
                f"several inputs would be written to the same name: "
                f"{', '.join(map(shown, duplicates))}"
            )
        try:
            out_dir.make_folder()
        except ImageFileError as error:
            raise CommandError(f"--out-dir {error}") from None
        jobs = [(source, out_dir.joined(name)) for source, name in zip(paths, names, strict=True)]
    plan = plan_batch(jobs, force=args.force, skip_existing=args.ignore_existing)
    for target in plan.replaced_inputs:
        print(f"recolor: {shown(target)}: is the input itself, replaced (--force)", file=sys.stderr)
    return plan


#: What became of an image recoloured in another process: its outcome, or the line that
#: says why it failed.
Result = tuple[Outcome | None, str | None]


def run_job(
    source: Location, target: Location, settings: Settings, data: bytes | None, write: bool
) -> Result:
    """One image in another process (a pool's, a Dask worker's): its outcome, or the line
    that says why it failed.

    Errors come back as text, not as exceptions: the worker's exception
    classes need not be the ones this process would unpickle.
    """
    # One image per process or worker thread at a time, as many as there are cores: OpenCV's
    # and numba's own threads would only compete with the other images for the cores.
    set_thread_limit(1)
    try:
        return recolor_file(source, target, settings, data=data, write=write), None
    except (RecolorError, OSError) as error:
        return None, described(error)
    except MemoryError:
        return None, f"{shown(source)}: ran out of memory; the other images go on"


def finish(tally: Tally, job: Job, result: Result, *, write_here: bool, force: bool) -> None:
    """Report one image recoloured in another process; write its bytes here if they came back."""
    outcome, error = result
    if error is not None:
        tally.failed(error)
        return
    assert outcome is not None
    if write_here:
        _, target = job
        assert outcome.data is not None
        try:
            notes = target.write_bytes(outcome.data, force=force)
        except RecolorError as write_error:
            tally.failed(write_error)
            return
        outcome = outcome._replace(notes=outcome.notes + notes, data=None)
    tally.recoloured(job, outcome)


class Tally:
    """One line per image, the count at the end, and the exit status."""

    def __init__(self, jobs: list[Job], progress: Any) -> None:
        self.jobs = jobs
        self.progress = progress
        self.counts = {"recoloured": 0, "skipped": 0, "failed": 0}

    def recoloured(self, job: Job, outcome: Outcome) -> None:
        source, target = job
        for note in outcome.notes:
            self._line(f"recolor: {note}", file=sys.stderr)
        self.counts["recoloured"] += 1
        self._line(
            f"{shown(source)} -> {shown(target)}: "
            f"{outcome.changed} of {outcome.total} pixels recoloured"
        )
        if not outcome.changed:
            self._line(
                f"recolor: warning: {shown(source)}: no pixel matched the colour to replace; "
                "the output has the input's pixels",
                file=sys.stderr,
            )

    def skipped(self, job: Job) -> None:
        source, target = job
        self.counts["skipped"] += 1
        self._line(f"{shown(source)} -> {shown(target)}: skipped, it exists")

    def failed(self, error: BaseException | str) -> None:
        self.counts["failed"] += 1
        message = error if isinstance(error, str) else described(error)
        self._line(f"recolor: error: {message}", file=sys.stderr)

    def _line(self, text: str, file: TextIO | None = None) -> None:
        """One line, flushed at once: a pipe or a log file gets each image's line as it is
        done (a pipe's stdout is buffered), not the whole batch's lines at the end.

        A stop signal that came meanwhile is raised here, whatever code between took it for:
        an image it made fail is not reported, and the batch goes no further."""
        raise_stop_received()
        self.progress.write(text, file=file)
        (file or sys.stdout).flush()

    def status(self) -> int:
        """Print the count (for a batch) and the failures; the exit status."""
        if len(self.jobs) > 1:
            print(", ".join(f"{count} {what}" for what, count in self.counts.items()))
        if self.counts["failed"]:
            print(
                f"recolor: {self.counts['failed']} of {len(self.jobs)} images failed",
                file=sys.stderr,
            )
            return 1
        return 0


class _NoProgress:
    """One image: no progress bar, and no import of tqdm either."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def update(self, count: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write(text: str, file: TextIO | None = None) -> None:
        print(text, file=file)


def progress_bar(items: Any, total: int) -> Any:
    """``items`` wrapped in a progress bar on stderr (tqdm's), for more than one image, when
    stderr is a terminal: a log file gets the lines and the count, not the bar's frames."""
    if total < 2 or not sys.stderr.isatty():
        return _NoProgress(items)
    from tqdm import tqdm

    return tqdm(items, total=total, desc="recolor", unit="image", file=sys.stderr)
