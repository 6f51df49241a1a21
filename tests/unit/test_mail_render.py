"""Rendering marketer templates: sandbox, strictness, footer, text part, link rewriting."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from nurture.campaigns.schema import Campaign
from nurture.mail import render as render_module
from nurture.mail.context import sample_context
from nurture.mail.render import Renderer, TemplateError

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BASE = "https://mail.acme.example"
ADDRESS = "Acme S.L., Calle Mayor 1, 28013 Madrid"
CAMPAIGN = Campaign.model_validate(
    {
        "id": "welcome",
        "name": "Welcome series",
        "purpose": "newsletter",
        "sender": "Acme <hello@acme.example>",
        "entry": {"on": "consent_confirmed"},
        "steps": [{"id": "hello", "subject": "Hi", "template": "t.html"}],
    }
)


def context(**lead: Any) -> dict[str, Any]:
    ctx = sample_context(CAMPAIGN, CAMPAIGN.steps[0], BASE, ADDRESS)
    ctx["lead"].update(lead)
    return ctx


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    for name in ("_footer.html", "_footer.txt"):
        shutil.copy(REPO_TEMPLATES / name, tmp_path / name)
    return tmp_path


def write(directory: Path, name: str, source: str) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return name


def render(templates: Path, body: str, subject: str = "Hi", **lead: Any) -> Any:
    write(templates, "t.html", body)
    return Renderer(templates).render(subject, "t.html", context(**lead))


UNSAFE = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ ''.format.__self__ }}",
    # str.format reached indirectly (CVE-2024-56326, CVE-2025-27516: jinja2 >= 3.1.6)
    "{% set f = '{0.__class__}'.format %}{{ f(1) }}",
    "{{ ('{0.__class__}' | attr('format'))(1) }}",
    "{{ lead.__class__ }}",
    "{{ config }}",
    "{{ request }}",
    "{{ self._TemplateReference__context }}",
    "{% set tags = lead.tags %}{{ tags.append('x') }}",
    "{{ lead.attributes.update({'a': 1}) }}",
    "{{ 'x' * 10000000 }}",
    "{{ 2 ** 10000000 }}",
]


@pytest.mark.parametrize("source", UNSAFE)
def test_sandbox_refuses_escapes_in_body(templates: Path, source: str) -> None:
    """Marketer templates cannot reach Python internals, mutate data or exhaust memory."""
    with pytest.raises(TemplateError):
        render(templates, f"<p>{source}</p>")


@pytest.mark.parametrize("source", UNSAFE)
def test_sandbox_refuses_escapes_in_subject(templates: Path, source: str) -> None:
    """The subject is a template too, held to the same sandbox."""
    with pytest.raises(TemplateError, match=r"^subject"):
        render(templates, "<p>x</p>", subject=source)


def test_undefined_variable_names_template_and_line(templates: Path) -> None:
    """A misspelt field is an error with file:line, never an empty string in a sent mail."""
    with pytest.raises(TemplateError) as caught:
        render(templates, "<p>Hello</p>\n\n<p>{{ lead.frist_name }}</p>")
    assert str(caught.value).startswith("t.html:3: ")
    assert "frist_name" in str(caught.value)
    assert (caught.value.template, caught.value.lineno) == ("t.html", 3)


def test_error_in_included_template_points_at_it(templates: Path) -> None:
    """The line reported is where the mistake is, even inside an include."""
    write(templates, "partials/p.html", "ok\n{{ nope }}")
    with pytest.raises(TemplateError, match=r"^partials/p\.html:2: "):
        render(templates, "<p>{% include 'partials/p.html' %}</p>")


def test_syntax_error_names_line(templates: Path) -> None:
    """Broken syntax is reported at compile time with its line."""
    with pytest.raises(TemplateError, match=r"^t\.html:2: "):
        render(templates, "<p>\n{% if %}</p>")


def test_subject_syntax_error(templates: Path) -> None:
    """Subject errors are reported under the name `subject`."""
    with pytest.raises(TemplateError, match=r"^subject:1: "):
        render(templates, "<p>x</p>", subject="Hi {{ lead.first_name")


def test_missing_template(templates: Path) -> None:
    """A template path that does not exist is a TemplateError naming it."""
    with pytest.raises(TemplateError, match=r"nowhere\.html"):
        Renderer(templates).render("Hi", "nowhere.html", context())


def test_lead_data_is_printed_literally_and_escaped(templates: Path) -> None:
    """Lead data is data: `{{7*7}}` is not evaluated and markup is escaped in HTML only."""
    mail = render(
        templates,
        "<p>Hi {{ lead.first_name }} from {{ lead.company }}</p>",
        subject="{{ lead.first_name }} at {{ lead.company }}",
        first_name="{{7*7}}",
        company="Smith & Sons <b>",
    )
    assert mail.subject == "{{7*7}} at Smith & Sons <b>"
    assert "Hi {{7*7}} from Smith &amp; Sons &lt;b&gt;" in mail.html
    assert "49" not in mail.html
    assert "Hi {{7*7}} from Smith & Sons <b>" in mail.text


def test_subject_falls_back_and_is_stripped(templates: Path) -> None:
    """The contract's example subject works with a lead without a first name."""
    mail = render(templates, "<p>x</p>", subject="Welcome, {{ lead.first_name or 'there' }}\n")
    assert mail.subject == "Welcome, Alex"
    mail = render(
        templates, "<p>x</p>", subject="Welcome, {{ lead.first_name or 'there' }}", first_name=None
    )
    assert mail.subject == "Welcome, there"


def test_footer_appended_before_body_end(templates: Path) -> None:
    """A template without unsubscribe link and address gets the standard footer."""
    mail = render(templates, "<html><body><p>Offer</p></body></html>")
    ctx = context()
    body = mail.html[: mail.html.index("</body>")]
    assert f'href="{ctx["unsubscribe_url"]}"' in body
    assert f'href="{ctx["preferences_url"]}"' in body
    assert ADDRESS in body
    assert ctx["unsubscribe_url"] in mail.text
    assert ADDRESS in mail.text


@pytest.mark.parametrize(
    ("body", "footer_expected"),
    [
        ('<p><a href="{{ unsubscribe_url }}">Leave</a> {{ postal_address }}</p>', False),
        ('<p><a href="{{ unsubscribe_url }}">Leave</a></p>', True),  # no address
        ("<p>{{ unsubscribe_url }} {{ postal_address }}</p>", True),  # URL is not a link
        ('<p><a href="{{ unsubscribe_url }}">x</a> Acme S.L.,<br>Calle Mayor 1,<br>'
         "28013 Madrid</p>", False),  # address over several lines
        ('<p>Hi</p><!-- <a href="{{ unsubscribe_url }}">Leave</a> {{ postal_address }} -->',
         True),  # an old footer commented out places nothing
        ('<p><a href="{{ unsubscribe_url }}">Leave</a> {{ postal_address }}</p><!-- end -->',
         False),
        ('<p>Hi</p><!-- <a href="{{ unsubscribe_url }}">Leave</a> {{ postal_address }}',
         True),  # a comment never closed hides the rest
    ],
)  # fmt: skip
def test_footer_only_when_needed(templates: Path, body: str, footer_expected: bool) -> None:
    """The footer is added unless the template links unsubscribe *and* prints the address."""
    mail = render(templates, body)
    assert ("Email preferences" in mail.html) is footer_expected


def test_text_sibling_used_with_its_own_footer(templates: Path) -> None:
    """A sibling .txt is the text part, rendered without escaping, footer added."""
    write(templates, "t.txt", "Hi {{ lead.company }}\n{% if true %}\nLine two\n{% endif %}\n")
    mail = render(templates, "<p>HTML</p>", company="Smith & Sons")
    assert mail.text.startswith("Hi Smith & Sons\nLine two\n\n")
    assert context()["unsubscribe_url"] in mail.text
    assert ADDRESS in mail.text
    assert "HTML" not in mail.text


def test_text_sibling_with_own_unsubscribe_gets_no_footer(templates: Path) -> None:
    """A .txt that carries the unsubscribe URL and address is left alone."""
    write(templates, "t.txt", "Bye: {{ unsubscribe_url }}\n{{ postal_address }}\n")
    mail = render(templates, "<p>HTML</p>")
    assert mail.text == f"Bye: {context()['unsubscribe_url']}\n{ADDRESS}\n"


def test_text_derived_from_html(templates: Path) -> None:
    """Without a .txt the text part comes from the HTML, links spelled out."""
    mail = render(templates, '<h1>Title</h1><p>Read <a href="https://acme.example/a">this</a></p>')
    assert mail.text.startswith("Title\n\nRead this (https://acme.example/a)\n")


def test_css_inlined_media_queries_kept(templates: Path) -> None:
    """Styles move into style attributes; @media rules stay for responsive clients."""
    mail = render(
        templates,
        "<html><head><style>p { color: red } @media (max-width: 600px) { p { color: blue } }"
        "</style></head><body><p>x</p></body></html>",
    )
    assert '<p style="color: red;">x</p>' in mail.html
    assert "@media (max-width: 600px)" in mail.html


def test_remote_stylesheets_are_not_fetched(templates: Path) -> None:
    """A template cannot make the sender request URLs (nothing listens on port 9)."""
    mail = render(templates, '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><p>x</p>')
    assert "127.0.0.1:9" not in mail.html


def rewritten(templates: Path, body: str) -> str:
    write(templates, "t.html", body)
    mail = Renderer(templates).render(
        "Hi", "t.html", context(), link_rewriter=lambda url: f"https://t.example/c?u={url}"
    )
    return mail.html


def test_link_rewriter_tracks_ordinary_links(templates: Path) -> None:
    """Every http(s) link goes through the rewriter, entities decoded and re-escaped."""
    html = rewritten(
        templates,
        '<a title="a > b" href="https://acme.example/p?a=1&amp;b=2">x</a>'
        "<A HREF='http://acme.example/q'>y</A><a data-href=\"z\" href=https://acme.example/r>z</a>",
    )
    assert 'href="https://t.example/c?u=https://acme.example/p?a=1&amp;b=2"' in html
    assert 'href="https://t.example/c?u=http://acme.example/q"' in html
    assert 'href="https://t.example/c?u=https://acme.example/r"' in html


@pytest.mark.parametrize(
    "href",
    [
        "{{ unsubscribe_url }}",
        "{{ preferences_url }}",
        "{{ preferences_url }}/data",
        "{{ preferences_url }}?tab=data",
        "{{ unsubscribe_url | replace('/u/', '/my-data/') }}",
        "{{ preferences_url | replace('/p/', '/my-data/') }}",
        "mailto:help@acme.example",
        "tel:+34600000000",
        "#top",
    ],
)
def test_link_rewriter_exclusions(templates: Path, href: str) -> None:
    """Unsubscribe, preferences and my-data links, mailto:, tel: and anchors stay as they are."""
    html = rewritten(templates, f'<p><a href="{href}">x</a> {{{{ postal_address }}}}</p>')
    assert "t.example" not in html


def test_text_part_keeps_real_urls_when_tracking(templates: Path) -> None:
    """The derived text shows where a link really goes, not the tracking redirect."""
    write(templates, "t.html", '<a href="https://acme.example/a">a</a>')
    mail = Renderer(templates).render(
        "Hi", "t.html", context(), link_rewriter=lambda url: "https://t.example/c"
    )
    assert "(https://acme.example/a)" in mail.text
    assert "t.example" not in mail.text


def test_footer_missing_is_an_error(tmp_path: Path) -> None:
    """Without _footer.html a template lacking an unsubscribe link cannot be sent."""
    write(tmp_path, "t.html", "<p>x</p>")
    with pytest.raises(TemplateError, match=r"_footer\.html"):
        Renderer(tmp_path).render("Hi", "t.html", context())


def test_sample_context_is_complete() -> None:
    """Validation renders against a lead with every contract field filled."""
    ctx = sample_context(CAMPAIGN, CAMPAIGN.steps[0], BASE + "/", ADDRESS)
    assert all(value not in (None, "") for key, value in ctx["lead"].items() if key != "attributes")
    assert ctx["lead"]["attributes"] == {}
    assert ctx["unsubscribe_url"].startswith(BASE + "/")
    assert ctx["preferences_url"].startswith(BASE + "/")
    assert ctx["campaign"] == {"id": "welcome", "name": "Welcome series"}
    assert ctx["step"] == {"id": "hello"}
    assert ctx["postal_address"] == ADDRESS


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeMonotonic:
    """The renderer's sense of elapsed time, moved by hand."""
    fake = FakeMonotonic()
    monkeypatch.setattr(render_module, "monotonic", fake)
    return fake


def test_an_edited_template_shows_once_the_loaded_one_has_aged(
    templates: Path, clock: FakeMonotonic
) -> None:
    """Files are looked at again at most every FRESH_FOR seconds, not for every mail: a
    template edited, a `.txt` sibling added, both show within that time."""
    renderer = Renderer(templates)
    write(templates, "t.html", "<p>edit-v1 {{ postal_address }}</p>")
    assert "edit-v1" in renderer.render("Hi", "t.html", context()).html
    write(templates, "t.html", "<p>edit-v2 {{ postal_address }}</p>")
    write(templates, "t.txt", "sibling-text {{ unsubscribe_url }} {{ postal_address }}")
    clock.now += render_module.FRESH_FOR / 2
    mail = renderer.render("Hi", "t.html", context())
    assert "edit-v1" in mail.html
    assert "sibling-text" not in mail.text
    clock.now += render_module.FRESH_FOR
    mail = renderer.render("Hi", "t.html", context())
    assert "edit-v2" in mail.html
    assert mail.text.startswith("sibling-text")


def test_a_removed_text_sibling_is_derived_again(templates: Path, clock: FakeMonotonic) -> None:
    renderer = Renderer(templates)
    write(templates, "t.html", "<p>derived-text {{ postal_address }}</p>")
    write(templates, "t.txt", "sibling-text {{ unsubscribe_url }} {{ postal_address }}")
    assert renderer.render("Hi", "t.html", context()).text.startswith("sibling-text")
    (templates / "t.txt").unlink()
    clock.now += render_module.FRESH_FOR
    assert "derived-text" in renderer.render("Hi", "t.html", context()).text


def test_an_edited_parent_template_shows_too(templates: Path, clock: FakeMonotonic) -> None:
    """A change to a file the template extends is seen as well (once FRESH_FOR passed)."""
    renderer = Renderer(templates)
    write(templates, "base.html", "<p>parent-v1 {% block body %}{% endblock %}</p>")
    write(templates, "t.html", '{% extends "base.html" %}{% block body %}x{% endblock %}')
    assert "parent-v1" in renderer.render("Hi", "t.html", context()).html
    write(templates, "base.html", "<p>parent-v2 {% block body %}{% endblock %}</p>")
    os.utime(templates / "base.html", (1, 1))  # a different mtime, however fast the disk
    clock.now += render_module.FRESH_FOR / 2
    assert "parent-v1" in renderer.render("Hi", "t.html", context()).html
    clock.now += render_module.FRESH_FOR
    assert "parent-v2" in renderer.render("Hi", "t.html", context()).html
