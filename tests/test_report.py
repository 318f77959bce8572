"""benchmarks/instrument/report.py: the job summary and the x copy series for GitHub Actions."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.instrument import report

MACHINE_INFO = {
    "recolor": {
        "cpu_model": "AMD EPYC",
        "cores": 2,
        "platform": "Linux x86_64",
        "opencv_cpu_features": "SSE *AVX2 *AVX512-SKX?",
        "recolor": "0.1.0",
        "numpy": "2.4.6",
        "opencv": "5.1.0",
        "pillow": "13.0.0",
        "numba": None,
        "python": "3.11.7",
    }
}
BENCHMARK_JSON = {
    "machine_info": MACHINE_INFO,
    "benchmarks": [
        {
            "name": "998x998-numpy_mask",
            "group": "998x998",
            "stats": {"median": 0.05, "rounds": 21},
            "extra_info": {
                "technique": "numpy_mask",
                "x_copy": 380.123456,
                "cpu_utilization": 1.0,
                "megapixels_per_second": 19.9,
                "x_copy_measured_as": "998x998-numpy_mask",
            },
        },
        {
            "name": "998x998-copy",
            "group": "998x998",
            "stats": {"median": 0.00012, "rounds": 900},
            "extra_info": {"technique": "copy", "x_copy": 1.0, "cpu_utilization": 0.99},
        },
        {"name": "other", "group": None, "stats": {"median": 1.0, "rounds": 3}, "extra_info": {}},
    ],
}


def test_x_copy_series_is_custom_smaller_is_better(tmp_path: Path) -> None:
    source, target = tmp_path / "benchmark.json", tmp_path / "x-copy.json"
    source.write_text(json.dumps(BENCHMARK_JSON))
    assert report.main([str(source), "--x-copy", str(target)]) == 0
    series = json.loads(target.read_text())
    assert [entry["name"] for entry in series] == ["998x998-numpy_mask", "998x998-copy"]
    assert series[0] == {
        "name": "998x998-numpy_mask",
        "unit": "x copy",
        "value": 380.1235,
        "extra": "group 998x998; CPU 1.00; fresh processes, as 998x998-numpy_mask; "
        "on AMD EPYC, 2 cores, Linux x86_64, AVX2; "
        "versions numpy=2.4.6 opencv=5.1.0 pillow=13.0.0 python=3.11.7",
    }


def test_seconds_series_is_the_median_in_seconds_named_by_case_key(tmp_path: Path) -> None:
    source, target = tmp_path / "benchmark.json", tmp_path / "seconds.json"
    source.write_text(json.dumps(BENCHMARK_JSON))
    assert report.main([str(source), "--seconds", str(target)]) == 0
    series = json.loads(target.read_text())
    assert [entry["name"] for entry in series] == ["998x998-numpy_mask", "998x998-copy", "other"]
    assert series[1] == {
        "name": "998x998-copy",
        "unit": "seconds per call (median)",
        "value": 0.00012,
        "extra": "group 998x998; pytest-benchmark's median of 900 rounds in one process; "
        "on AMD EPYC, 2 cores, Linux x86_64, AVX2; "
        "versions numpy=2.4.6 opencv=5.1.0 pillow=13.0.0 python=3.11.7",
    }


def test_summary_is_a_markdown_table_per_group_fastest_first() -> None:
    text = report.markdown_summary(BENCHMARK_JSON["benchmarks"])  # type: ignore[arg-type]
    lines = text.splitlines()
    header = lines.index("### 998x998")
    assert lines[header + 2] == "| name | median | x copy | CPU | MP/s |"
    assert lines[header + 4].startswith("| copy | 120 us | 1.00 |")
    assert lines[header + 5].startswith("| numpy_mask | 50 ms | 380.12 | 1.00 | 19.9 |")
