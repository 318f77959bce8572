"""``recolor apply``: recolour image files, one or a batch, each written atomically."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from recolor.cli.options import CommandError, described, fit_colors, print_notes, read_noted
from recolor.errors import RecolorError
from recolor.files.atomic import remove_leftovers
from recolor.files.display import shown
from recolor.files.frames import recolor_frame
from recolor.files.write import check_output_path, encode, write_image

__all__ = ["run_apply"]


def run_apply(args: argparse.Namespace) -> int:
    jobs = _apply_jobs(args)
    for folder in {target.parent for _, target in jobs}:
        remove_leftovers(folder)
    counts = {"recoloured": 0, "skipped": 0, "failed": 0}
    progress = _progress(jobs)
    for source, target in progress:
        try:
            if not check_output_path(target, force=args.force, skip_existing=args.ignore_existing):
                counts["skipped"] += 1
                progress.write(f"{shown(source)} -> {shown(target)}: skipped, it exists")
                continue
            changed, total = _apply_one(source, target, args)
        except (RecolorError, OSError) as error:
            if len(jobs) == 1:
                raise
            counts["failed"] += 1
            progress.write(f"recolor: error: {described(error)}", file=sys.stderr)
            continue
        counts["recoloured"] += 1
        progress.write(
            f"{shown(source)} -> {shown(target)}: {changed} of {total} pixels recoloured"
        )
        if not changed:
            progress.write(
                f"recolor: warning: {shown(source)}: no pixel matched the colour to replace; "
                "written unchanged",
                file=sys.stderr,
            )
    if len(jobs) > 1:
        print(", ".join(f"{count} {what}" for what, count in counts.items()))
    if counts["failed"]:
        print(f"recolor: {counts['failed']} of {len(jobs)} images failed", file=sys.stderr)
        return 1
    return 0


class _NoProgress:
    """One image: no progress bar, and no import of tqdm either."""

    def __init__(self, jobs: list[tuple[Path, Path]]) -> None:
        self.jobs = jobs

    def __iter__(self) -> Iterator[tuple[Path, Path]]:
        return iter(self.jobs)

    @staticmethod
    def write(text: str, file: TextIO | None = None) -> None:
        print(text, file=file)


def _progress(jobs: list[tuple[Path, Path]]) -> Any:
    if len(jobs) < 2:
        return _NoProgress(jobs)
    from tqdm import tqdm

    return tqdm(jobs, desc="recolor", unit="image", file=sys.stderr)


def _apply_jobs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    """Pairs of (input, output), every output checked before any work."""
    if args.out_dir is None:
        if len(args.paths) != 2:
            raise CommandError(
                f"apply takes INPUT OUTPUT, or INPUT... --out-dir DIR; got {len(args.paths)} paths"
            )
        source, target = args.paths
        jobs = [(source, target)]
    else:
        _make_folder(args.out_dir)
        names = [source.name for source in args.paths]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise CommandError(
                f"several inputs would be written to the same name: "
                f"{', '.join(map(shown, duplicates))}"
            )
        jobs = [(source, args.out_dir / source.name) for source in args.paths]
    for _, target in jobs:
        check_output_path(target, force=args.force, skip_existing=args.ignore_existing)
    return jobs


def _make_folder(folder: Path) -> None:
    try:
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{shown(folder)}: --out-dir is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(f"{shown(folder)}: --out-dir cannot be created ({reason})") from None


def _apply_one(source: Path, target: Path, args: argparse.Namespace) -> tuple[int, int]:
    """Recolour ``source`` into ``target``; how many pixels changed, of how many."""
    image_file = read_noted(source, allow_lossy=args.allow_lossy)
    old, new, tolerance = fit_colors(args, len(image_file.frames[0].getbands()))
    frames = []
    changed = 0
    for frame in image_file.frames:
        try:
            recoloured, frame_changed = recolor_frame(
                frame, old, new, tolerance=tolerance, technique=args.technique
            )
        except (TypeError, ValueError) as error:
            raise CommandError(f"{shown(source)}: {error}") from None
        changed += frame_changed
        frames.append(recoloured)
    encoded = encode(frames, image_file, target, allow_lossy=args.allow_lossy)
    write_image(encoded, target, force=args.force)
    print_notes(encoded.notes)
    return changed, sum(frame.width * frame.height for frame in frames)
