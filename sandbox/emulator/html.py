"""Telegram's HTML parse mode: turn ``<b>x</b>`` into plain text + message entities, strictly.

Telegram refuses a message whose HTML it cannot parse (``400 Bad Request: can't parse entities: ...``),
e.g. an unescaped ``<`` from a user's input or an unsupported tag. The emulator does the same so tests
catch those bugs. Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from typing import Any

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


class EntityParseError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape(fragment: str) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[1:].replace("x", "0x", 1), 0))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _NAMED.get(name, match.group(0))

    return _ENTITY.sub(repl, fragment)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) or raise EntityParseError with Telegram's wording."""
    out: list[str] = []
    out_len = 0  # UTF-16 length of the text so far
    stack: list[tuple[str, int, dict[str, Any]]] = []
    opened = 0  # entities that start at the same place keep the order their tags were opened in
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        lt = source.find("<", pos)
        chunk = source[pos:] if lt < 0 else source[pos:lt]
        if chunk:
            text = _unescape(chunk)
            out.append(text)
            out_len += utf16_len(text)
        if lt < 0:
            break
        byte_offset = len(source[:lt].encode("utf-8"))
        match = _TAG.match(source, lt)
        if not match:
            raise EntityParseError(
                f'can\'t parse entities: Unsupported start tag "{source[lt + 1 : lt + 8].split(" ")[0]}" '
                f"at byte offset {byte_offset}"
            )
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3) or ""
        if name not in _SIMPLE:
            kind = "end" if closing else "start"
            raise EntityParseError(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset {byte_offset}'
            )
        if closing:
            if not stack or stack[-1][0] != name:
                raise EntityParseError(f"can't parse entities: Unexpected end tag at byte offset {byte_offset}")
            open_name, start, open_extra = stack.pop()
            length = out_len - start
            if length > 0:
                entity: dict[str, Any] = {"type": _SIMPLE[open_name], "offset": start, "length": length}
                entity.update(open_extra)
                entities.append(entity)
        else:
            extra: dict[str, Any] = {"_order": opened}
            opened += 1
            parsed = {m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or "") for m in _ATTR.finditer(attrs)}
            if name == "a":
                if "href" not in parsed:
                    raise EntityParseError(
                        f"can't parse entities: Can't find href attribute at byte offset {byte_offset}"
                    )
                extra["url"] = _unescape(parsed["href"])
            elif name == "span" and parsed.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'can\'t parse entities: Unsupported start tag "span" at byte offset {byte_offset}'
                )
            elif name == "tg-emoji":
                extra["custom_emoji_id"] = parsed.get("emoji-id", "")
            elif name == "blockquote" and "expandable" in attrs:
                extra["type"] = "expandable_blockquote"
            stack.append((name, out_len, extra))
        pos = match.end()
    if stack:
        raise EntityParseError(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\""
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"], e.pop("_order")))
    return "".join(out), entities
