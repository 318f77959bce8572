"""``{before-after}``: the sample portrait and what one line of recolor makes of it.

Both images are made at every build by the library itself, from the code
shown beside them, so the picture cannot drift from what the code does.
The transparent background is drawn over a checkerboard, as image editors
show transparency, or it would be invisible on the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: The line the page shows; it runs as written, with ``image`` bound.
CODE = "out = recolor.recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))"
SIDE = 256


def on_checkerboard(image: Any) -> Any:
    """An RGBA image composited over a grey checkerboard of 16-pixel squares, as RGB."""
    import numpy as np

    rows, columns = np.indices(image.shape[:2])
    board = np.where(((rows // 16 + columns // 16) % 2)[..., None] == 0, 204, 153)
    alpha = image[..., 3:4].astype(np.float64) / 255
    blended = image[..., :3] * alpha + board * (1 - alpha)
    return blended.round().astype(np.uint8)


def make_images(folder: Path) -> tuple[str, str]:
    """Write the portrait and its recoloured copy into ``folder``; their file names."""
    from PIL import Image

    import recolor

    image = recolor.sample_image(SIDE, SIDE)
    scope: dict[str, Any] = {"recolor": recolor, "image": image}
    exec(CODE, scope)  # the very line the page shows
    names = ("before.png", "after.png")
    for name, pixels in zip(names, (image, scope["out"]), strict=True):
        Image.fromarray(on_checkerboard(pixels)).save(folder / name)
    return names


class BeforeAfter(SphinxDirective):
    """The two images side by side, each with its caption, and the line of code."""

    def run(self) -> list[nodes.Node]:
        folder = Path(self.env.srcdir) / "_generated"
        folder.mkdir(exist_ok=True)
        before, after = make_images(folder)
        found: list[nodes.Node] = [nodes.literal_block(CODE, CODE, language="python")]
        table = nodes.table(classes=["before-after"])
        group = nodes.tgroup(cols=2)
        table += group
        group += nodes.colspec(colwidth=1)
        group += nodes.colspec(colwidth=1)
        body = nodes.tbody()
        group += body
        row = nodes.row()
        for name, text in (
            (before, "before: the sample portrait, its background (0, 0, 0, 0) transparent"),
            (after, "after: the background (5, 3, 192, 255)"),
        ):
            entry = nodes.entry()
            entry += nodes.image(uri=f"/_generated/{name}", alt=text, width=f"{SIDE}px")
            entry += nodes.paragraph(text=text)
            row += entry
        body += row
        found.append(table)
        return found


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("before-after", BeforeAfter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
