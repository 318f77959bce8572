"""The range kernels are vector code on every CPU numba compiles for: the machine code says so.

A kernel that compares bytes one at a time is correct and several times
slower; only the machine code tells the two apart. Each kernel is compiled
in a fresh process for a named CPU (``NUMBA_CPU_NAME``, with an empty cache
so that nothing compiled for this host is loaded) and its assembly must hold
the three steps as vector instructions: the wrap-around subtraction, the
unsigned compare, and the select; on bytes for the rows' kernels (1 and 3
channels), on 32-bit lanes for the words' kernels (4 channels, whose bytes
are compared within each lane). The kernels are compiled for the types the
techniques pass them, never run: this host may lack the named CPU's
instructions (AVX-512 code on an AMD Zen 3 dies of SIGILL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

#: The CPUs of the machines the suite runs on: AVX-512 (Intel), AVX2 (AMD Zen 3, and the
#: Haswell that valgrind presents).
CPUS = {
    "skylake-avx512": "AVX-512",
    "znver3": "AVX2",
    "haswell": "AVX2",
}

_COMPILE = """
import json, re, sys
import numba
import numpy as np
import recolor
from recolor.techniques import _numba_kernels as kernels
NAMES = (
    "recolor_range_rows_serial",
    "recolor_range_rows_parallel",
    "recolor_words_in_range_serial",
    "recolor_words_in_range_parallel",
)
compiled = {name: getattr(kernels, name) for name in NAMES}

def compile_only(kernel):
    def typed(*arguments):
        kernel.compile(tuple(numba.typeof(argument) for argument in arguments))
    return typed

for name, kernel in compiled.items():
    setattr(kernels, name, compile_only(kernel))
for channels in (1, 3, 4):
    image = np.zeros((8, 64, channels), np.uint8)
    recolor.numba_serial(image, (0,) * channels, (1,) * channels, tolerance=3)
    recolor.numba_parallel(image, (0,) * channels, (1,) * channels, tolerance=3)
found = {}
for name, kernel in compiled.items():
    (asm,) = kernel.inspect_asm().values()
    found[name] = sorted(set(re.findall(r"^\\s+(v[a-z0-9]+)\\s+[^\\n]*%[xyz]mm", asm, re.M)))
    found[name + " zmm"] = "%zmm" in asm or "%k1" in asm
    found[name + " wide"] = sorted(set(re.findall(r"^\\s+(v[a-z0-9]+)\\s+[^\\n]*%zmm", asm, re.M)))
print(json.dumps(found))
"""

SUBTRACT = {"vpsubb"}
#: The words' kernels subtract and compare whole 32-bit lanes (AVX-512 compares into a mask).
SUBTRACT_WORDS = {"vpsubd"}
COMPARE_WORDS = {"vpcmpeqd", "vpcmpneqd", "vpcmpd", "vpcmpud"}
#: AVX-512 compares bytes as unsigned into a mask register; AVX2 has no unsigned byte
#: compare and uses min/max with an equality compare.
COMPARE = {"vpcmpub", "vpcmpnleub", "vpcmpleub", "vpcmpltub", "vpminub", "vpmaxub", "vpcmpeqb"}
SELECT = {"vpblendvb", "vpblendmb", "vmovdqu8", "vpternlogq", "vpternlogd", "vpand", "vpandn"}
#: Only the 3-channel loop moves bytes across lanes: it reads pixels of three bytes, which
#: a vector loop gathers and scatters with byte shuffles (a scalar loop has none).
SHUFFLE = {"vpshufb", "vpermb", "vpermt2b", "vpermi2b"}
#: Each kernel's subtract and compare, and whether it must shuffle bytes.
STEPS = {
    "recolor_range_rows_serial": (SUBTRACT, COMPARE, True),
    "recolor_range_rows_parallel": (SUBTRACT, COMPARE, True),
    "recolor_words_in_range_serial": (SUBTRACT_WORDS, COMPARE_WORDS, False),
    "recolor_words_in_range_parallel": (SUBTRACT_WORDS, COMPARE_WORDS, False),
}


@pytest.mark.parametrize("cpu", sorted(CPUS))
def test_the_range_kernels_compare_and_select_bytes_in_vectors(cpu: str, tmp_path: Path) -> None:
    # An empty feature list means the named CPU's own features; without it, numba would
    # add this host's, and on an AVX-512 host every "AVX2" kernel would use AVX-512.
    environment = {
        **os.environ,
        "NUMBA_CPU_NAME": cpu,
        "NUMBA_CPU_FEATURES": "",
        "NUMBA_CACHE_DIR": str(tmp_path),
    }
    ran = subprocess.run(
        [sys.executable, "-c", _COMPILE], capture_output=True, text=True, env=environment
    )
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout.splitlines()[-1])
    level = CPUS[cpu]
    for kernel, (subtract, compare, shuffle) in STEPS.items():
        used = set(found[kernel])
        assert found[kernel + " zmm"] == (level == "AVX-512"), f"{kernel} for {cpu}: not {level}"
        assert used & subtract, f"{kernel} for {cpu} ({level}): no vector subtract in {used}"
        assert used & compare, f"{kernel} for {cpu} ({level}): no vector compare in {used}"
        assert used & SELECT, f"{kernel} for {cpu} ({level}): no vector select in {used}"
        if shuffle:
            assert used & SHUFFLE, (
                f"{kernel} for {cpu} ({level}): 3 channels not vectorised: {used}"
            )
        if shuffle and level == "AVX-512":
            # The shuffles bound the 3-channel loop: 512-bit ones do twice the work.
            wide = set(found[kernel + " wide"])
            assert wide & SHUFFLE, f"{kernel} for {cpu}: no 512-bit shuffle in {wide}"
            assert wide & COMPARE, f"{kernel} for {cpu}: no 512-bit compare in {wide}"
