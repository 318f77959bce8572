"""What a figure depends on besides the code: the machine and the versions it ran with.

Only what the machine and the configuration say, never state that the
running process may have changed: thread counts are recorded as
configured (``RECOLOR_THREADS``, or every core), not read from OpenCV after
something set them, so two runs on one machine record the same facts.
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import PIL

import recolor
from benchmarks.calls import THREADS_ENV_VAR
from benchmarks.instrument.environment import available_cores


def machine_facts() -> dict[str, Any]:
    numba_version = None
    with contextlib.suppress(ImportError):
        import numba

        numba_version = numba.__version__
    return {
        "recolor": recolor.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "opencv_cpu_features": cv2.getCPUFeaturesLine().strip(),
        "pillow": PIL.__version__,
        "numba": numba_version,
        "python": platform.python_version(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": available_cores(),
        "threads_cap": os.environ.get(THREADS_ENV_VAR),
        "platform": f"{platform.system()} {platform.machine()}",
    }


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
