from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from helpline.lib.html import html_to_text, sanitise, text_to_html

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<scr<script>ipt>alert(1)</script>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
SCRIPTABLE_TAGS = {"script", "iframe", "svg", "math", "style", "object", "embed", "form", "base"}


class ScriptFinder(HTMLParser):
    """Parses output the way a browser would and lists anything that could run script."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SCRIPTABLE_TAGS:
            self.found.append(tag)
        for name, value in attrs:
            url = "".join((value or "").split()).lower()
            if (
                name.startswith("on")
                or name == "style"
                or url.startswith(("javascript:", "data:text"))
            ):
                self.found.append(f"{tag}[{name}={value}]")


def scriptable(html: str) -> list[str]:
    finder = ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_the_checker_catches_raw_script():
    assert scriptable(HOSTILE[0]) == ["script"]
    assert scriptable(HOSTILE[1]) == ["img[onerror=alert(1)]"]


def test_it_removes_every_way_to_run_script():
    for raw in HOSTILE:
        assert scriptable(sanitise(raw)) == [], raw


@given(st.lists(st.sampled_from([*HOSTILE, "<p>", "</p>", "<b>", "text", "<a href='", "'>"])))
def test_no_mix_of_hostile_fragments_survives(fragments):
    assert scriptable(sanitise("".join(fragments))) == []


@given(st.text())
def test_any_text_round_trips_safely(text):
    rendered = text_to_html(text)
    assert scriptable(rendered) == []
    assert html_to_text(rendered) == html_to_text(sanitise(rendered))


def test_it_keeps_ordinary_formatting_and_makes_links_safe():
    cleaned = sanitise('<p>Hi <b>there</b> <a href="https://example.com">docs</a></p>')
    assert cleaned == (
        '<p>Hi <b>there</b> <a href="https://example.com" '
        'rel="noopener noreferrer nofollow">docs</a></p>'
    )
