"""Sphinx configuration: pydata-sphinx-theme, numpydoc for the docstrings, MyST for the pages."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import recolor  # noqa: E402

project = "recolor"
author = "recolor developers"
copyright = "2026, recolor developers"  # Sphinx's name for it
release = version = recolor.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "performance_tables",
    "performance_charts",
    "front_page",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_generated", "measured"]  # measured: tables the pages include
myst_heading_anchors = 3
# A link to a page or heading that does not exist is a warning (MyST's xref_missing),
# and the build runs with -W: a broken internal link fails it.

autosummary_generate = False
autodoc_typehints = "none"  # numpydoc's sections carry the types
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

html_theme = "pydata_sphinx_theme"
html_title = "recolor"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
# A page without sub-pages has no section navigation to show.
html_sidebars = {"install": []}
html_static_path: list[str] = []
