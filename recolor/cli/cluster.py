"""``recolor apply --workers N`` or ``--scheduler ADDRESS``: a batch on a Dask cluster.

Each image is one task, :func:`recolor.files.job.recolor_file` run on a
worker: the same reading, recolouring, encoding and writing as in the
command's own process, so the outputs are the same bytes. The command's
process plans the batch first (every refusal before any write, as without
Dask), then prints one line per image as its task finishes, and the count.

Workers read and write local paths and URLs themselves, so such files must
name the same files on every worker (one machine, a shared file system, or
object storage). Files only this process can see (``memory://``) are read
here and their bytes sent, and the encoded result comes back to be written
here.

A worker that dies loses only the image it was writing: each output is
complete or absent, the scheduler gives its tasks to the other workers, and
a temporary file it left is removed by the next run (recolor.files.atomic).
A task run again after its worker died may find the output its earlier try
wrote: the same bytes are there, so it is done, not "already exists".

The local cluster of ``--workers`` is its owner's alone: it listens on
127.0.0.1 only, over TLS with credentials made for it in memory (Dask's
``Security.temporary``, through ``LocalCluster(security=True)``), so that a
process of another local user that connects to its port cannot submit work;
its dashboard is off unless ``--dashboard`` asks for it, and then on
127.0.0.1 only. A cluster of ``--scheduler`` is secured by its own
configuration (Dask's ``distributed.comm.tls`` settings, which the client reads).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from recolor.cli.batch import Tally, finish, progress_bar, run_job, settings_from
from recolor.cli.options import CommandError, described
from recolor.errors import RecolorError
from recolor.files.batch import Job, Plan
from recolor.files.display import shown
from recolor.files.job import Settings

__all__ = ["run_on_dask"]


def run_on_dask(plan: Plan, args: argparse.Namespace) -> int:
    """Recolour the batch ``plan`` on the cluster ``args`` names; the exit status.

    The tasks are submitted as soon as the plan is made, so what it found of
    existing outputs holds; a worker refuses to overwrite one that appears.
    """
    settings = settings_from(args, plan)
    skipped = [job for job in plan.jobs if job in plan.existing]
    unread: list[str] = []
    with _client(args) as client:
        from distributed import as_completed

        submitted: dict[Any, tuple[Job, bool]] = {}
        for job in plan.jobs:
            if job in plan.existing:
                continue
            source, target = job
            try:
                data = source.read_bytes() if source.only_here else None
            except RecolorError as error:
                unread.append(described(error))
                continue
            write_here = target.only_here
            future = client.submit(
                run_job, source, target, settings, data, not write_here, pure=False
            )
            submitted[future] = (job, write_here)
        progress = progress_bar(as_completed(submitted, loop=client.loop), len(submitted))
        tally = Tally(plan.jobs, progress)
        for job in skipped:
            tally.skipped(job)
        for message in unread:
            tally.failed(message)
        for future in progress:
            job, write_here = submitted.pop(future)
            _finish(tally, job, future, write_here, settings)
            # Let go of it now: while the client holds a finished task, the scheduler runs
            # it again if the worker holding its result dies, though the output is written.
            future.release()
    return tally.status()


def _finish(tally: Tally, job: Job, future: Any, write_here: bool, settings: Settings) -> None:
    """Report one finished task; write its output here if it came back."""
    source, _ = job
    try:
        # Waits for a task its worker's death sent back to the scheduler; raises if it
        # died more often than the scheduler allows (KilledWorker).
        result = future.result()
    except Exception as lost:
        tally.failed(f"{shown(source)}: {type(lost).__name__}: {lost}")
        return
    finish(tally, job, result, write_here=write_here, force=settings.force)


@contextlib.contextmanager
def _client(args: argparse.Namespace) -> Iterator[Any]:
    """A Dask client: of a new local cluster of ``--workers`` processes, or of ``--scheduler``."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        option = "--workers" if args.workers is not None else "--scheduler"
        raise CommandError(f'{option} needs Dask: pip install "recolor[dask]"') from None
    if args.scheduler is not None:
        try:
            # Not the process's default client: the batch submits to it alone, and a
            # client that failed to connect must not stay the default of later work.
            client = Client(args.scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise CommandError(
                f"--scheduler {shown(args.scheduler)}: cannot connect ({error})"
            ) from None
        with client:
            yield client
        return
    # Without --dashboard, the HTTP servers of the scheduler and the workers answer only
    # their health check: no worker, task or log pages, no JSON, no proxy to workers.
    routes = (
        {}
        if args.dashboard
        else {
            "distributed.scheduler.http.routes": ["distributed.http.health"],
            "distributed.worker.http.routes": ["distributed.http.health"],
        }
    )
    with (
        dask.config.set(routes),
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            security=True,  # TLS, with credentials made in memory for this cluster alone
            dashboard_address="127.0.0.1:0" if args.dashboard else None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        if args.dashboard:
            print(f"recolor: the cluster's dashboard: {client.dashboard_link}", file=sys.stderr)
        yield client
