"""HTML → text for the text part: readable paragraphs, lists and links, hidden parts gone."""

from __future__ import annotations

import time

import pytest

from nurture.mail.text import html_to_text

CASES = [
    ("<p>One</p><p>Two</p>", "One\n\nTwo\n"),
    ("<p>Some   text\n  over lines</p>", "Some text over lines\n"),
    ("<p>a<br>b<br/><br>c</p>", "a\nb\n\nc\n"),
    ("<div><div><div>nested</div></div></div><div>next</div>", "nested\nnext\n"),
    ("<ul><li>One</li><li>Two</li></ul>", "- One\n- Two\n"),
    ("<ol><li>a<li>b</ol>", "1. a\n2. b\n"),
    ('<a href="https://x.example/a?b=1&amp;c=2">Read</a>', "Read (https://x.example/a?b=1&c=2)\n"),
    ('<a href="https://x.example/">https://x.example/</a>', "https://x.example/\n"),
    ('<a href="https://x.example/"><img src="i.png" alt=""></a>', "https://x.example/\n"),
    (
        '<a href="https://x.example/"><img src="i.png" alt="Logo"></a>',
        "Logo (https://x.example/)\n",
    ),
    ('<a href="mailto:help@x.example">help@x.example</a>', "help@x.example\n"),
    ('<a href="mailto:help@x.example">Write us</a>', "Write us (help@x.example)\n"),
    ('<a href="#top">Top</a>', "Top\n"),
    ("<head><title>T</title><style>p{color:red}</style></head><p>x</p>", "x\n"),
    ("<script>alert(1)</script><p>x</p>", "x\n"),
    ('<div style="display: none">Preheader <div>nested</div></div><p>Body</p>', "Body\n"),
    ("<p>&eacute;t&eacute; &amp; caf&#233; &lt;b&gt; &euro;</p>", "été & café <b> €\n"),
    ("<table><tr><td>A</td><td>B</td></tr><tr><td>C</td></tr></table>", "A B\nC\n"),
    ("<h1>Title</h1>Text", "Title\n\nText\n"),
    ("<pre>line 1\nline 2</pre>", "line 1\nline 2\n"),
    ("plain & simple", "plain & simple\n"),
]


@pytest.mark.parametrize(("html", "text"), CASES)
def test_html_to_text(html: str, text: str) -> None:
    """Each construct is converted the way a reader of the text part expects."""
    assert html_to_text(html) == text


def test_html_to_text_is_fast() -> None:
    """It runs once per message: a 30 kB newsletter converts in a few milliseconds."""
    block = (
        '<table role="presentation"><tr><td style="padding:8px"><h2>Heading</h2>'
        '<p>Paragraph with <a href="https://acme.example/x?a=1&amp;b=2">a link</a> and '
        "<strong>bold</strong> text &amp; entities.</p><ul><li>one</li><li>two</li></ul>"
        "</td></tr></table>"
    )
    html = "<html><body>" + block * 120 + "</body></html>"
    assert len(html) > 25_000
    start = time.perf_counter()
    for _ in range(10):
        html_to_text(html)
    assert (time.perf_counter() - start) / 10 < 0.05
