"""A stored figure's measuring protocol: which code measured it, and under which settings.

A ratio stored by one protocol does not judge a ratio measured by another:
a changed worker, timing loop, yardstick or allocator setting moves every
figure by itself. So each stored figure carries its protocol's identity,
and a figure of another protocol is not judged (the wall clock's runner, the cost decision).

The code's part is a digest of each measuring module's syntax tree without
its docstrings: a reworded comment or docstring keeps the protocol, any
change to what the code does makes a new one.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["check_table", "code_digest", "describe_differences", "identity", "named", "protocol"]


def code_digest(path: Path) -> str:
    """A short digest of what the module at ``path`` does: its syntax tree, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:12]


def protocol(root: Path, modules: Iterable[Path], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The protocol: a digest per measuring module (by its path under ``root``) and the settings."""
    code = {path.relative_to(root).as_posix(): code_digest(path) for path in sorted(modules)}
    return {"code": code, **settings}


def identity(measuring_protocol: Mapping[str, Any]) -> str:
    """A short name for a protocol, the same for the same protocol on any machine."""
    text = json.dumps(measuring_protocol, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def named(
    known: Mapping[str, dict[str, Any]], identities: Iterable[str | None]
) -> dict[str, dict[str, Any]]:
    """The protocols of ``known`` that ``identities`` name, by identity: what a file keeps."""
    wanted = set(identities)
    return {identity: dict(known[identity]) for identity in sorted(known) if identity in wanted}


def check_table(protocols: Any, where: str) -> None:
    """ValueError unless ``protocols`` is a table of protocols, each with a table of digests."""
    if not isinstance(protocols, dict):
        raise ValueError(f"{where}: protocols must be a table of tables")
    for name, entry in protocols.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: protocols must be a table of tables")
        code = entry.get("code", {})
        if not isinstance(code, dict) or not all(isinstance(v, str) for v in code.values()):
            raise ValueError(
                f"{where}: protocol {name!r}: code must be a table of module digests, got {code!r}"
            )


def describe_differences(stored: Mapping[str, Any] | None, current: Mapping[str, Any]) -> str:
    """What differs between a stored protocol and today's, in one phrase."""
    if stored is None:
        return "it was stored before figures recorded their protocol"
    changed = []
    stored_code, current_code = stored.get("code", {}), current.get("code", {})
    for name in sorted({*stored_code, *current_code}):
        if stored_code.get(name) != current_code.get(name):
            changed.append(name)
    for name in sorted({*stored, *current} - {"code"}):
        if stored.get(name) != current.get(name):
            changed.append(f"{name} ({stored.get(name)!r} there, {current.get(name)!r} here)")
    return "it differs in " + ", ".join(changed) if changed else "it has another identity"
