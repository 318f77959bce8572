"""``recolor apply``: recolour image files, one or a batch, each written atomically.

One image in this process; a batch on a pool of this machine's processes,
one per core unless ``--jobs N`` says otherwise, if it is large enough to
pay for starting them (recolor.cli.pool); on a
Dask cluster with ``--workers N`` or ``--scheduler ADDRESS``
(recolor.cli.cluster), where inputs and outputs may also be fsspec URLs.
"""

from __future__ import annotations

import argparse

from recolor.cli.batch import Tally, plan_jobs, progress_bar, settings_from
from recolor.cli.options import CommandError, UsageError
from recolor.errors import RecolorError
from recolor.files.display import shown
from recolor.files.job import recolor_file

__all__ = ["run_apply"]


def run_apply(args: argparse.Namespace) -> int:
    on_dask = args.workers is not None or args.scheduler is not None
    if not on_dask:
        urls = [
            place for place in [*args.paths, args.out_dir] if place is not None and place.is_url
        ]
        if urls:
            raise UsageError(
                f"{shown(urls[0])}: a URL is read and written by a batch on Dask: "
                "pass --workers N or --scheduler ADDRESS"
            )
    plan = plan_jobs(args)
    if on_dask:
        from recolor.cli.cluster import run_on_dask

        return run_on_dask(plan, args)
    jobs = plan.jobs
    if len(jobs) - len(plan.existing) > 1:
        from recolor.cli.pool import cores, pays_off, run_in_pool  # not for one image

        processes = min(args.jobs or cores(), len(jobs) - len(plan.existing))
        if processes > 1 and (args.jobs is not None or pays_off(plan)):
            return run_in_pool(plan, args, processes)
    settings = settings_from(args, plan)
    progress = progress_bar(jobs, len(jobs))
    tally = Tally(jobs, progress)
    for job in progress:
        source, target = job
        try:
            # Checked again as its turn comes: in a long batch, an output may
            # have appeared since the plan was made.
            if not target.check_output(force=args.force, skip_existing=args.ignore_existing):
                tally.skipped(job)
                continue
            outcome = recolor_file(source, target, settings)
        except (RecolorError, OSError) as error:
            if len(jobs) == 1:
                raise
            tally.failed(error)
            continue
        except MemoryError:
            # One image too large for this machine: the batch goes on without it.
            message = f"{shown(source)}: ran out of memory; the other images go on"
            if len(jobs) == 1:
                raise CommandError(message.removesuffix("; the other images go on")) from None
            tally.failed(message)
            continue
        tally.recoloured(job, outcome)
    return tally.status()
