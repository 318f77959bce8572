"""The files written from the registry: ``python -m tools.generate`` rewrites them.

- the technique table of the docs (``docs/techniques.md``), between
  ``<!-- techniques -->`` markers;
- the techniques' lines of recolor's public list (``recolor/__init__.pyi``),
  between ``# <techniques>`` markers, so that type checkers and
  ``recolor.__all__`` know every registered technique.

tests/test_docs.py and tests/test_registry.py fail while either is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from recolor import TECHNIQUES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TECHNIQUES_PAGE = ROOT / "docs" / "techniques.md"
CONTRIBUTING_PAGE = ROOT / "docs" / "contributing.md"
STUB = ROOT / "recolor" / "__init__.pyi"
REGENERATE = "python -m tools.generate"


def technique_table() -> str:
    """The docs' technique table, one row per registered technique."""
    rows = [
        "| name | description | threads | needs |",
        "|---|---|---|---|",
        *(
            f"| {t.name} | {t.description} | {'several' if t.multithreaded else 'one'} "
            f"| {t.requires or '-'} |"
            for t in TECHNIQUES.values()
        ),
    ]
    return "\n".join(rows)


def stub_lines() -> str:
    """The public list's import of every registered technique, from its own module."""
    lines = []
    for technique in TECHNIQUES.values():
        module = technique.func.__module__.removeprefix("recolor")
        lines.append(f"from {module} import {technique.name} as {technique.name}")
    return "\n".join(lines)


def block(text: str, name: str) -> str:
    """What ``text`` holds between ``<!-- name -->`` and ``<!-- /name -->``."""
    return text.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0].strip()


def stub_block(text: str) -> str:
    """What the stub holds between ``# <techniques>`` and ``# </techniques>``."""
    return text.split("# <techniques>\n")[1].split("# </techniques>")[0].strip()


def _replaced(text: str, start: str, end: str, content: str) -> str:
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}{content}\n{end}{after}"


def regenerated(text: str) -> str:
    return _replaced(text, "<!-- techniques -->\n", "<!-- /techniques -->", technique_table())


def regenerated_stub(text: str) -> str:
    # A blank line before the end marker, where ruff's import sorting wants one.
    return _replaced(text, "# <techniques>\n", "# </techniques>", stub_lines() + "\n")


def main() -> int:
    for path, rewrite in ((TECHNIQUES_PAGE, regenerated), (STUB, regenerated_stub)):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: regenerated from the registry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
