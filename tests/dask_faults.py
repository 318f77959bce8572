"""A worker plugin that kills its worker at one chosen moment of a batch, for the fault tests.

A timer that kills a worker at a random time kills it mid-batch only when
the machine keeps pace: on a busy machine the batch may end first. This
plugin kills at the k-th task of the batch, counted across all workers, as
the task starts ("executing") or just after it wrote its output and before
the scheduler heard of it ("memory"): the kill always comes mid-batch,
however slow the machine.
"""

from __future__ import annotations

import fcntl
import os
import signal
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

#: The tasks a batch submits are named after the function that runs them.
BATCH_TASK_PREFIX = "run_job"


class KillAtTask(WorkerPlugin):
    """SIGKILL the worker on which the batch's ``at``-th task reaches ``state``."""

    def __init__(self, folder: Path, *, at: int, state: str) -> None:
        self.counter = str(folder / "tasks")
        self.killed = str(folder / "killed")
        self.at = at
        self.state = state

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        name = key if isinstance(key, str) else str(key[0]) if isinstance(key, tuple) else ""
        if finish != self.state or not name.startswith(BATCH_TASK_PREFIX):
            return
        # Both workers count in one file, under a lock: exactly one of them sees the at-th task.
        with open(self.counter, "a+") as counter:
            fcntl.flock(counter, fcntl.LOCK_EX)
            counter.seek(0)
            count = len(counter.read()) + 1
            counter.write("x")
            counter.flush()
            if count == self.at:
                Path(self.killed).write_text(self.state)
                os.kill(os.getpid(), signal.SIGKILL)
