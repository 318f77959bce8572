"""``{performance-charts}``: the race as charts, drawn from the committed wall-clock baseline.

For each machine of ``benchmarks/baseline.json``, two charts are drawn at
every build (matplotlib, into ``docs/_generated/``, which is not committed):

- per group of cases (a size; the tolerance and RGB groups), every
  technique's median time per call, on a log scale, with ``numpy.copy`` of
  the same image drawn as the floor;
- time per pixel against the image's size for the vectorised techniques,
  where the default choice's switches show as crossings.

A case's time is its ratio (the median of its processes' medians) times
its yardstick's recorded time, so the charts need nothing but the
baseline. The caption names the machine and the versions that measured it.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from recolor.bench.timing import format_seconds

ROOT = Path(__file__).resolve().parents[2]
WALL = ROOT / "benchmarks" / "baseline.json"

#: SIZExSIZE-technique[-tolN][-threads..][-inplace][-rgb], as benchmarks/cases.py writes them.
_KEY = re.compile(
    r"(?P<size>\d+)x\d+-(?P<technique>[a-z0-9_]+)(?:-tol(?P<tolerance>\d+))?"
    r"(?P<threads>-threads(?:\d+|all))?(?P<in_place>-inplace)?(?P<rgb>-rgb)?"
)
#: The techniques whose time per pixel is charted against size: the vectorised ones.
_SCALING = ("numpy_packed", "numpy_mask", "opencv_native", "numba_serial", "numba_parallel")


#: The name of numpy.copy's time in a group's techniques.
COPY = "copy"


def case_seconds(data: dict[str, Any]) -> dict[str, dict[str, tuple[float, float | None]]]:
    """Every case's seconds per call by machine (its ratio times its yardstick's time), with
    its yardstick's seconds where that yardstick is ``numpy.copy`` of the same image."""
    found: dict[str, dict[str, tuple[float, float | None]]] = {}
    for machine, entry in data["machines"].items():
        seconds = {}
        for key, case in entry["cases"].items():
            yardstick = case.get("yardstick_seconds")
            if not yardstick:
                continue
            ratio = statistics.median(statistics.median(process) for process in case["processes"])
            its = statistics.median(yardstick)
            seconds[key] = (ratio * its, its if case.get("yardstick") == COPY else None)
        if seconds:
            found[machine] = seconds
    return found


def groups(seconds: dict[str, tuple[float, float | None]]) -> dict[str, dict[str, float]]:
    """The cases of one machine by chart group: each technique's seconds, and ``copy``'s."""
    found: dict[tuple[int, bool, int], dict[str, float]] = {}
    copies: dict[tuple[int, bool, int], list[float]] = {}
    for key, (value, copy) in seconds.items():
        match = _KEY.fullmatch(key)
        if match is None or match["threads"] or match["in_place"]:
            continue
        group = (int(match["size"]), bool(match["rgb"]), int(match["tolerance"] or 0))
        found.setdefault(group, {})[match["technique"]] = value
        if copy is not None:
            copies.setdefault(group, []).append(copy)
    for group, techniques in found.items():
        if group in copies:
            techniques[COPY] = statistics.median(copies[group])
    return {_label(group): found[group] for group in sorted(found)}


def _label(group: tuple[int, bool, int]) -> str:
    size, rgb, tolerance = group
    label = f"{size}x{size} " + ("RGB" if rgb else "RGBA")
    return label + (f", tolerance {tolerance}" if tolerance else ", exact")


def images(groups_seconds: dict[str, dict[str, float]]) -> dict[str, dict[str, dict[str, float]]]:
    """The groups by image ("998x998 RGBA"), each by match ("exact", "tolerance 8")."""
    found: dict[str, dict[str, dict[str, float]]] = {}
    for label, techniques in groups_seconds.items():
        image, match = label.split(", ", 1)
        found.setdefault(image, {})[match] = techniques
    return found


#: Colours of the bars by match, in the order they are drawn; a tolerance beside the exact.
_BAR_COLOURS = ("#4c72b0", "#dd8452", "#55a868")


def draw_race(matches: dict[str, dict[str, float]], path: Path, title: str) -> None:
    """One image's race: a bar per technique and match, fastest on top, numpy.copy dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(
        {name for techniques in matches.values() for name in techniques if name != COPY},
        key=lambda name: min(t.get(name, float("inf")) for t in matches.values()),
        reverse=True,
    )
    height = 0.8 / len(matches)
    figure, axis = plt.subplots(figsize=(7.5, 0.75 + 0.32 * len(names) * len(matches)))
    for index, (match, techniques) in enumerate(matches.items()):
        rows = [(row, techniques[name]) for row, name in enumerate(names) if name in techniques]
        offset = (len(matches) - 1 - 2 * index) * height / 2
        bars = axis.barh(
            [row + offset for row, _ in rows],
            [value for _, value in rows],
            height=height,
            color=_BAR_COLOURS[index % len(_BAR_COLOURS)],
            label=match,
        )
        axis.bar_label(bars, labels=[format_seconds(v) for _, v in rows], fontsize=8, padding=2)
    # The same image's copy: one line (the groups' copies differ only by their noise).
    copies = [techniques[COPY] for techniques in matches.values() if COPY in techniques]
    if copies:
        axis.axvline(copies[0], color="#c44e52", linestyle="--", linewidth=1.2, label="numpy.copy")
    axis.set_yticks(range(len(names)), names, fontsize=9)
    axis.set_xscale("log")
    axis.set_xlabel("seconds per call (log scale)", fontsize=9)
    axis.margins(x=0.2)
    axis.legend(loc="upper right", fontsize=8)
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def choice_switches(machine: str) -> dict[str, int]:
    """Where the default choice switches on ``machine``'s CPU kind, in pixels, by its figures."""
    from recolor.core.choice_figures import figures_for

    vendor = "intel" if "intel" in machine.lower() else "amd" if "amd" in machine.lower() else ""
    simd = machine.rsplit(" ", 1)[-1].lower()
    figures = figures_for(f"{vendor}-{simd}")
    return {
        "numba from": figures.compiled_min_pixels,
        "numba_parallel from": figures.parallel_min_pixels,
        "opencv_native from": figures.large_pixels,
    }


def draw_scaling(
    groups_seconds: dict[str, dict[str, float]],
    path: Path,
    title: str,
    switches: dict[str, int] | None = None,
) -> None:
    """Nanoseconds per pixel against pixels, for the exact RGBA groups, the switches marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exact = {
        int(label.split("x", 1)[0]): techniques
        for label, techniques in groups_seconds.items()
        if label.endswith(" RGBA, exact")
    }
    sizes = sorted(exact)
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for name in (COPY, *_SCALING):
        points = [(size, exact[size][name]) for size in sizes if name in exact[size]]
        if len(points) < 2:
            continue
        style = {"color": "#c44e52", "linestyle": "--"} if name == COPY else {"marker": "o"}
        label = "numpy.copy" if name == COPY else name
        pixels = [size * size for size, _ in points]
        per_pixel = [s / count * 1e9 for (_, s), count in zip(points, pixels, strict=True)]
        axis.plot(pixels, per_pixel, label=label, **style)
    axis.set_xscale("log")
    axis.set_yscale("log")
    low, high = sizes[0] ** 2 / 2, sizes[-1] ** 2 * 2
    for name, pixels in (switches or {}).items():
        if low <= pixels <= high:
            axis.axvline(pixels, color="#888888", linestyle=":", linewidth=1)
            axis.annotate(
                f"choice: {name}",
                (pixels, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                fontsize=7,
                rotation=90,
                va="top",
                color="#555555",
            )
    axis.set_xticks([size * size for size in sizes], [f"{size}x{size}" for size in sizes])
    axis.set_xlabel("image size (RGBA, exact match)")
    axis.set_ylabel("nanoseconds per pixel (log)")
    axis.legend(fontsize=8, loc="center right")
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class PerformanceCharts(SphinxDirective):
    """The charts of every machine of the wall-clock baseline."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(WALL))
        data = json.loads(WALL.read_text(encoding="utf-8"))
        out = Path(self.env.srcdir) / "_generated"
        out.mkdir(exist_ok=True)
        found: list[nodes.Node] = []
        for machine, seconds in sorted(case_seconds(data).items()):
            facts = data["machines"][machine].get("facts", {})
            versions = next(iter(data["machines"][machine]["cases"].values())).get("versions")
            said = ", ".join(f"{k} {v}" for k, v in sorted((versions or facts).items()) if v)
            caption = f"{machine} ({facts.get('cpu_model', '?')}, {facts.get('simd', '?')}); {said}"
            by_group = groups(seconds)
            section = nodes.section(ids=[nodes.make_id(f"charts {machine}")])
            section += nodes.title(text=machine)
            drawn = []
            for image, matches in images(by_group).items():
                name = f"race-{_slug(machine)}-{_slug(image)}.png"
                draw_race(matches, out / name, f"{image}: {', '.join(matches)}")
                drawn.append((name, f"The race on a {image} image"))
            name = f"scaling-{_slug(machine)}.png"
            draw_scaling(by_group, out / name, machine, choice_switches(machine))
            drawn.append((name, "Time per pixel against size"))
            for name, alt in drawn:
                figure = nodes.figure()
                figure += nodes.image(uri=f"/_generated/{name}", alt=f"{alt}: {machine}")
                figure += nodes.caption(text=f"{alt}. {caption}")
                section += figure
            found.append(section)
        return found


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("performance-charts", PerformanceCharts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
