"""The one cleaning rule for stored text (lib/text.py)."""

import pytest
from django.core.exceptions import ValidationError

from helpline.lib.text import clean_text, has_unsafe_characters, one_line, refuse_unsafe

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", *BIDI])
def test_it_removes_control_and_bidi_characters_from_multi_line_text(char):
    assert clean_text(f"invoice{char}gnp.exe") == "invoicegnp.exe"


def test_it_keeps_line_breaks_tabs_and_every_other_character():
    text = "Hello\n\tworld — ünïcödé 日本語 עברית 🙂"
    assert clean_text(text) == text


def test_it_turns_carriage_returns_into_line_breaks_instead_of_joining_lines():
    assert clean_text("one\r\ntwo\rthree") == "one\ntwo\nthree"


@pytest.mark.parametrize("char", ["\x00", "\n", "\t", "\x1b", "\u202e", "\u2066"])
def test_one_line_text_loses_them_too(char):
    assert one_line(f"  Printer{char}on fire  ") in {"Printer on fire", "Printeron fire"}
    assert char not in one_line(f"Printer{char}on fire")


def test_one_line_keeps_ordinary_text():
    assert one_line("Ana Lima (São Paulo)") == "Ana Lima (São Paulo)"


@pytest.mark.parametrize("value", ["en\x00", "pt\u202eBR", "a\nb"])
def test_identifiers_with_such_characters_are_refused_naming_the_field(value):
    assert has_unsafe_characters(value)
    with pytest.raises(ValidationError) as raised:
        refuse_unsafe(value, "language")
    assert list(raised.value.message_dict) == ["language"]


def test_clean_identifiers_pass_unchanged():
    assert not has_unsafe_characters("pt-BR")
    assert refuse_unsafe("pt-BR", "language") == "pt-BR"
