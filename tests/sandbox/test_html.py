"""Telegram's HTML parse mode as the emulator applies it: plain text + entities, or Telegram's refusal."""

from __future__ import annotations

import pytest

from sandbox.emulator.html import EntityParseError, parse_html


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>Лид</b>", "Лид", [{"type": "bold", "offset": 0, "length": 3}]),
        # offsets count UTF-16 code units: the emoji takes two
        ("🔥 <i>hot</i>", "🔥 hot", [{"type": "italic", "offset": 3, "length": 3}]),
        (
            "<b><i>x</i></b>",
            "x",
            [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 0, "length": 1}],
        ),
        ("&lt;Acme &amp; Co&gt; &quot;q&quot; &#128293;", '<Acme & Co> "q" 🔥', []),
        ("a & b > c", "a & b > c", []),
        (
            '<a href="https://t.me/leadcrm_bot?start=lead_1&amp;x=1">open</a>',
            "open",
            [{"type": "text_link", "offset": 0, "length": 4, "url": "https://t.me/leadcrm_bot?start=lead_1&x=1"}],
        ),
        (
            '<span class="tg-spoiler">s</span><code>c</code>',
            "sc",
            [{"type": "spoiler", "offset": 0, "length": 1}, {"type": "code", "offset": 1, "length": 1}],
        ),
        ("<b></b>x", "x", []),
    ],
)
def test_html_becomes_plain_text_with_utf16_entities(source: str, text: str, entities: list[dict]) -> None:
    assert parse_html(source) == (text, entities)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Lead <Acme>", 'Unsupported start tag "acme"'),
        ("1 < 2", 'Unsupported start tag ""'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "Unexpected end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<a>link</a>", "Can't find href attribute"),
        ('<span class="red">x</span>', 'Unsupported start tag "span"'),
    ],
)
def test_html_telegram_cannot_parse_is_refused_with_its_reason(source: str, reason: str) -> None:
    with pytest.raises(EntityParseError, match="can't parse entities") as caught:
        parse_html(source)
    assert reason in str(caught.value)
