"""``recolor apply`` on a batch: its images recoloured by a pool of this machine's processes.

A batch of more than one image uses one process per core (``--jobs N`` sets
how many, ``--jobs 1`` keeps the batch in the command's own process). Each
image is read, recoloured and encoded in a pool process
(:mod:`recolor.cli.pool_process`) by :func:`recolor.cli.batch.run_job`, the
function Dask's workers run too, and its bytes come back here to be written
atomically, its line printed and counted, in the batch's order: the
outputs, the lines and the exit status are those of the batch without a
pool.

On Linux, when this process has no other thread, the pool processes are
forked from it, with everything it has imported; elsewhere each is a new
``python -m recolor.cli.pool_process``, as is one that replaces a dead one.
A pool process never writes a file, and runs in a session of its own:
Ctrl-C, SIGTERM or SIGHUP stop this process, which ends the pool and
removes the one temporary file it was writing, as without a pool. A pool
process that dies (killed, out of memory) is replaced, and the image it was
recolouring is given to the new one: the other images never fail for it,
and an image whose own work kills its process :data:`ATTEMPTS` times fails
alone, with the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn

from recolor.cli.batch import (
    Result,
    Tally,
    finish,
    input_bytes,
    progress_bar,
    run_job,
    settings_from,
)
from recolor.cli.options import described
from recolor.cli.pool_process import read_message, serve, write_message
from recolor.cli.signals import ignore_the_terminals_signals
from recolor.errors import RecolorError
from recolor.files.batch import Job, Plan
from recolor.files.display import shown
from recolor.files.job import Settings

__all__ = ["ATTEMPTS", "MIN_BATCH_BYTES", "cores", "pays_off", "run_in_pool"]

#: Tries of an image whose pool process died, each in a new process, before it fails.
ATTEMPTS = 3
#: Images handed to the pool per process beyond the one each is recolouring: enough that a
#: process never waits for this one to write, few enough that little waits in memory.
_QUEUED_PER_PROCESS = 2
#: Without --jobs, a batch whose inputs add up to fewer bytes runs in the command's own process:
#: starting the pool costs 0.37 s (two tiny images: 0.61 s on the pool, 0.24 s without), and a
#: PNG costs about 0.33 s a megabyte to recolour (the 998x998 portrait: 190 ms for 0.57 MB), so
#: two processes earn that back from 2.2 MB (AMD EPYC, family 25 model 1, 2026-12-04).
MIN_BATCH_BYTES = 2_000_000
#: How often the waiting main thread looks up, so that a stop signal is handled at once.
_POLL_SECONDS = 0.2

#: How a pool process runs one image: :func:`run_job`'s signature.
RunJob = Callable[..., Result]


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def pays_off(plan: Plan) -> bool:
    """Whether the batch's inputs are large enough for a pool (:data:`MIN_BATCH_BYTES`)."""
    return input_bytes(plan) >= MIN_BATCH_BYTES


def run_in_pool(
    plan: Plan, args: argparse.Namespace, processes: int, *, run: RunJob | None = None
) -> int:
    """Recolour the batch ``plan`` on ``processes`` pool processes; the exit status.

    ``run`` is what a pool process calls for an image (:func:`run_job`, looked up as the
    batch starts); it is sent by name, so it must be importable there.
    """
    settings = settings_from(args, plan)
    # Before the progress bar, whose monitor thread would keep the pool from forking.
    pool = _Pool(processes, run or run_job, settings, skip_existing=args.ignore_existing)
    try:
        progress = progress_bar(plan.jobs, len(plan.jobs))
        tally = Tally(plan.jobs, progress)
        ahead = processes * (1 + _QUEUED_PER_PROCESS)
        for job, result in pool.results(progress, ahead=ahead):
            if result is None:
                tally.skipped(job)
            else:
                finish(tally, job, result, write_here=True, force=settings.force)
    finally:
        pool.close()  # on a stop signal too: the images not yet recoloured are not waited for
    return tally.status()


class _Pool:
    """Processes that recolour the images they are given, and the results in the batch's order."""

    def __init__(
        self, processes: int, run: RunJob, settings: Settings, *, skip_existing: bool
    ) -> None:
        self.run = run
        self.settings = settings
        self.skip_existing = skip_existing
        self.todo: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.finished: queue.SimpleQueue[tuple[Job, Result]] = queue.SimpleQueue()
        self.done: dict[Job, Result | None] = {}
        self.closing = threading.Event()
        self.processes: list[_PoolProcess] = []
        forking = _can_fork()
        if forking:
            import numpy  # noqa: F401  # imported once, here, for every pool process to have
        for _ in range(processes):
            closing = [fd for process in self.processes for fd in process.descriptors()]
            self.processes.append(_PoolProcess(closing if forking else None))
        self.threads = [
            threading.Thread(target=self._serve, args=(process,), daemon=True)
            for process in self.processes
        ]
        for thread in self.threads:
            thread.start()

    def results(self, jobs: Iterator[Job], *, ahead: int) -> Iterator[tuple[Job, Result | None]]:
        """Each job with its result (None: skipped, its output exists), in order; up to
        ``ahead`` later jobs are already in the pool."""
        waiting: list[Job] = []  # in the batch's order, the next one to report first
        jobs = iter(jobs)
        exhausted = False
        while True:
            while not exhausted and len(waiting) <= ahead:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                else:
                    waiting.append(job)
                    self._submit(job)
            if not waiting:
                return
            job = waiting.pop(0)
            while job not in self.done:
                try:
                    finished, result = self.finished.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                self.done[finished] = result
            yield job, self.done.pop(job)

    def close(self) -> None:
        """End every pool process now, without waiting for the image it is recolouring."""
        self.closing.set()
        for _ in self.threads:
            self.todo.put(None)
        for process in self.processes:
            process.end()
        for thread in self.threads:
            thread.join()

    def _submit(self, job: Job) -> None:
        _, target = job
        try:
            # Checked as its turn comes: in a long batch, an output may have appeared since
            # the plan was made.
            if not target.check_output(force=self.settings.force, skip_existing=self.skip_existing):
                self.done[job] = None
                return
        except (RecolorError, OSError) as error:
            self.done[job] = (None, described(error))
            return
        self.todo.put(job)

    def _serve(self, process: _PoolProcess) -> None:
        """A thread's loop: the next image to its process, the result back to the main thread."""
        try:
            while (job := self.todo.get()) is not None:
                result = self._recolor(process, job)
                if self.closing.is_set():
                    return
                self.finished.put((job, result))
        finally:
            process.close_pipes()

    def _recolor(self, process: _PoolProcess, job: Job) -> Result:
        source, target = job
        # Read there and encoded (write=False): a pool process writes no file.
        request = (self.run, (source, target, self.settings, None, False))
        for _ in range(ATTEMPTS):
            try:
                answer = process.ask(request)
            except Exception as error:  # this process's fault, not the image's: said, not hung
                return None, f"{shown(source)}: {type(error).__name__}: {error}"
            if answer is not None:
                ok, value = answer
                return value if ok else (None, f"{shown(source)}: {value}")
            if self.closing.is_set():
                break
            process.restart()
        return (
            None,
            f"{shown(source)}: the process recolouring it died {ATTEMPTS} times "
            f"({process.death}); the other images go on",
        )


class _PoolProcess:
    """One pool process, spoken to through its pipes: forked from this one (``fork_closing``
    says which descriptors it must close), or ``python -m recolor.cli.pool_process``."""

    def __init__(self, fork_closing: list[int] | None = None) -> None:
        self.death = ""
        self.process: subprocess.Popen[bytes] | _Forked
        self.process = self._start() if fork_closing is None else _Forked(fork_closing)

    def descriptors(self) -> list[int]:
        """This process's end of the pipes, which a pool process forked later must close."""
        return [stream.fileno() for stream in (self.process.stdin, self.process.stdout) if stream]

    @staticmethod
    def _start() -> subprocess.Popen[bytes]:
        # A session of its own (a process group, on Windows): a terminal's Ctrl-C or hangup
        # reaches only the command, which ends its pool.
        command = [sys.executable, "-m", "recolor.cli.pool_process"]
        pipes = subprocess.PIPE
        if sys.platform == "win32":
            flags = subprocess.CREATE_NEW_PROCESS_GROUP
            return subprocess.Popen(command, stdin=pipes, stdout=pipes, creationflags=flags)
        return subprocess.Popen(command, stdin=pipes, stdout=pipes, start_new_session=True)

    def ask(self, request: tuple[RunJob, tuple[Any, ...]]) -> tuple[bool, Any] | None:
        """The process's answer to ``request`` (:func:`recolor.cli.pool_process.main`'s); None
        if it died first."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            write_message(self.process.stdin, request)
            answer: tuple[bool, Any] = read_message(self.process.stdout)
        except (EOFError, OSError):
            self.death = _described_exit(self.process.wait())
            return None
        return answer

    def restart(self) -> None:
        self.end()
        self.close_pipes()
        self.process = self._start()

    def end(self) -> None:
        """Kill the process; its thread, reading its answer, then finds the pipe closed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # a pipe the process broke
                    stream.close()


class _Forked:
    """A pool process forked from this one, with what ``subprocess.Popen`` offers of one.

    It has every module this process has imported: it starts in a millisecond
    where a new interpreter takes a third of a second to import numpy and
    Pillow, twice per batch on two cores.
    """

    def __init__(self, closing: list[int]) -> None:
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # else the pool process would print it again
        pid = os.fork()
        if pid == 0:
            _forked_process_serves(
                requests_read, answers_write, [requests_write, answers_read, *closing]
            )
        os.close(requests_read)
        os.close(answers_write)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin: IO[bytes] | None = os.fdopen(requests_write, "wb")
        self.stdout: IO[bytes] | None = os.fdopen(answers_read, "rb")
        # Its thread and the main thread may both wait for it: one reaps it, and both learn
        # how it ended (as Popen does).
        self._reaping = threading.Lock()

    def poll(self) -> int | None:
        with self._reaping:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def kill(self) -> None:
        with self._reaping:
            if self.returncode is None:  # once reaped, its number may be another process's
                os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        with self._reaping:
            if self.returncode is None:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode


def _forked_process_serves(requests: int, answers: int, closing: list[int]) -> NoReturn:
    status = 1
    try:
        os.setsid()  # a session of its own, as a new pool process gets
        for descriptor in closing:  # else a pipe would never end when this process's peer goes
            os.close(descriptor)
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print goes to stderr
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the command's handler
        ignore_the_terminals_signals()
        serve(os.fdopen(requests, "rb"), os.fdopen(answers, "wb"))
        status = 0
    finally:
        os._exit(status)  # never the command's own cleanup, nor its exit handlers


def _can_fork() -> bool:
    """Whether pool processes may be forked from this one: on Linux, with no other thread
    (a fork copies locks as another thread holds them); macOS's system libraries forbid it."""
    return sys.platform == "linux" and threading.active_count() == 1


def _described_exit(status: int) -> str:
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"
