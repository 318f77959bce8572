"""Text for a terminal: names and messages on one line, control characters escaped."""

from __future__ import annotations

__all__ = ["shown"]


def shown(value: object) -> str:
    r"""``value`` as text with every unprintable character escaped.

    A file name may hold a newline or an escape sequence; printed as it is,
    it would break a one-line message or drive the terminal.

    Examples
    --------
    >>> shown("a\nb.png")
    'a\\nb.png'
    >>> shown("caf\u00e9.png")
    'café.png'
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
