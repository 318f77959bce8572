"""The README's generated parts: ``python -m tests.readme`` rewrites them from the registry."""

from __future__ import annotations

import sys
from pathlib import Path

from recolor import TECHNIQUES

README = Path(__file__).resolve().parent.parent / "README.md"
REGENERATE = "python -m tests.readme"


def technique_table() -> str:
    """The README's technique table, one row per registered technique."""
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


def block(text: str, name: str) -> str:
    """What ``text`` holds between ``<!-- name -->`` and ``<!-- /name -->``."""
    return text.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0].strip()


def regenerated(text: str) -> str:
    before, rest = text.split("<!-- techniques -->\n", 1)
    _, after = rest.split("<!-- /techniques -->", 1)
    return f"{before}<!-- techniques -->\n{technique_table()}\n<!-- /techniques -->{after}"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = regenerated(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"{README}: technique table regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
