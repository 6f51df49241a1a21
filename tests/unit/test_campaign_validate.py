"""`campaigns validate`: every step rendered against a sample lead, each problem at its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nurture.campaigns import mailcheck
from nurture.campaigns.validate import validate_paths
from nurture.config import Settings

REPO = Path(__file__).resolve().parents[2]
ADDRESS = "Acme S.L.\nCalle Mayor 1\n28013 Madrid"
UNSUBSCRIBE = "https://mail.acme.example/u/tok"
PREFERENCES = "https://mail.acme.example/p/tok"

# Line 8 is the subject, line 9 the template: the cases below expect exactly those lines.
CAMPAIGN = """\
name: Test
purpose: newsletter
sender: "Acme <hello@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    subject: {subject}
    template: t/hello.html
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A campaigns folder and a templates folder with the product's standard footers."""
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "templates" / "t").mkdir(parents=True)
    shutil.copy(REPO / "campaigns" / "purposes.yaml", tmp_path / "campaigns")
    for footer in ("_footer.html", "_footer.txt"):
        shutil.copy(REPO / "templates" / footer, tmp_path / "templates")
    return tmp_path


def _settings(root: Path, **overrides: object) -> Settings:
    settings = Settings(
        campaigns_dir=root / "campaigns",
        templates_dir=root / "templates",
        base_url="https://mail.acme.example",
        postal_address=ADDRESS,
    )
    return settings.with_overrides(**overrides)


def _validate(root: Path, subject: str, body: str, **overrides: object) -> list[str]:
    (root / "campaigns" / "test.yaml").write_text(CAMPAIGN.format(subject=subject))
    (root / "templates" / "t" / "hello.html").write_text(body)
    problems = validate_paths(None, _settings(root, **overrides))
    return [str(problem).replace(f"{root}/", "") for problem in problems]


STEP = "campaigns/test.yaml:{line}: step 'hello': "
SUBJECT, TEMPLATE = STEP.format(line=8), STEP.format(line=9)

CASES = [
    ("clean", '"Hello {{ lead.first_name }}"', "<p>Hi {{ lead.first_name or 'there' }}</p>", []),
    (
        "syntax error",
        "Hello",
        "<p>{% if %}</p>",
        [TEMPLATE + "t/hello.html:1: Expected an expression, got 'end of statement block'"],
    ),
    (
        "undefined variable",
        "Hello",
        "<p>\n{{ lead.nickname }}</p>",
        [TEMPLATE + "t/hello.html:2: UndefinedError: 'dict object' has no attribute 'nickname'"],
    ),
    (
        "sandbox: __class__",
        "Hello",
        "<p>{{ ''.__class__.__mro__[1].__subclasses__() }}</p>",
        [
            TEMPLATE + "t/hello.html:1: SecurityError: access to attribute '__class__' of 'str' "
            "object is unsafe."
        ],
    ),
    (
        "sandbox: __globals__",
        "Hello",
        "<p>{{ cycler.__init__.__globals__ }}</p>",
        [
            TEMPLATE + "t/hello.html:1: SecurityError: access to attribute '__init__' of 'type' "
            "object is unsafe."
        ],
    ),
    (
        "no Flask config in reach",
        "Hello",
        "<p>{{ config }}</p>",
        [TEMPLATE + "t/hello.html:1: UndefinedError: 'config' is undefined"],
    ),
    (
        "error in the subject points at subject:",
        '"Hi {{ lead.nick }}"',
        "<p>ok</p>",
        [SUBJECT + "subject:1: UndefinedError: 'dict object' has no attribute 'nick'"],
    ),
    (
        "subject and body both broken: both reported",
        '"Hi {{ lead.nick }}"',
        "<p>{{ nope }}</p>",
        [
            SUBJECT + "subject:1: UndefinedError: 'dict object' has no attribute 'nick'",
            TEMPLATE + "t/hello.html:1: UndefinedError: 'nope' is undefined",
        ],
    ),
    (
        "all-caps subject",
        '"BIG SALE {{ lead.company | upper }}"',
        "<p>ok</p>",
        [
            SUBJECT + "the subject 'BIG SALE EXAMPLE CORP' is in capital letters: spam filters "
            "treat it as shouting"
        ],
    ),
    (
        "empty subject once rendered",
        "\"{{ '' }}\"",
        "<p>ok</p>",
        [SUBJECT + "the subject is empty once rendered"],
    ),
    (
        "plain http links and images",
        "Hello",
        '<p><a href="http://acme.example/x">x</a><img src="http://acme.example/i.png"></p>',
        [
            TEMPLATE + "insecure link http://acme.example/i.png: use https://",
            TEMPLATE + "insecure link http://acme.example/x: use https://",
        ],
    ),
    (
        "unsubscribe link hidden with display:none",
        "Hello",
        '<p>Hi</p><div style="display: none"><a href="{{ unsubscribe_url }}">u</a></div>'
        "<p>{{ postal_address }}</p>",
        [
            TEMPLATE + "the HTML part has no preference centre link ({{ preferences_url }})",
            TEMPLATE + "the text part has no preference centre link ({{ preferences_url }})",
            TEMPLATE + "the text part has no unsubscribe link ({{ unsubscribe_url }})",
            TEMPLATE + "the unsubscribe link ({{ unsubscribe_url }}) is hidden from the reader "
            "(hidden, display:none, font-size:0…)",
        ],
    ),
    (
        "unsubscribe URL only in a comment: the standard footer is added",
        "Hello",
        "<p>Hi</p><!-- {{ unsubscribe_url }} -->",
        [],
    ),
    (
        "template places links and address itself",
        "Hello",
        '<p>Hi</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a> '
        '<a href="{{ preferences_url }}">Preferences</a></p><p>{{ postal_address }}</p>',
        [],
    ),
    (
        "a runtime error in the template",
        "Hello",
        "<p>{{ 1 / 0 }}</p>",
        [TEMPLATE + "t/hello.html:1: ZeroDivisionError: division by zero"],
    ),
]


@pytest.mark.parametrize(
    ("subject", "body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_step_problems_point_at_subject_or_template_line(
    project: Path, subject: str, body: str, expected: list[str]
):
    """Rendering problems are file:line of the step's `subject:` or `template:`."""
    assert _validate(project, subject, body) == expected


def test_missing_template_file(project: Path):
    """A template that does not exist is reported at the `template:` line."""
    (project / "campaigns" / "test.yaml").write_text(CAMPAIGN.format(subject="Hello"))
    problems = [str(p) for p in validate_paths(None, _settings(project))]
    missing = project / "templates" / "t" / "hello.html"
    assert problems == [
        f"{project}/campaigns/test.yaml:9: step 'hello': template not found: {missing}"
    ]


def test_missing_postal_address_is_one_problem_naming_the_variable(project: Path):
    """Without NURTURE_POSTAL_ADDRESS, one problem names it; templates are still checked."""
    problems = _validate(project, "Hello", "<p>{{ nope }}</p>", postal_address=None)
    assert problems == [
        TEMPLATE + "t/hello.html:1: UndefinedError: 'nope' is undefined",
        "environment: NURTURE_POSTAL_ADDRESS is not set: every marketing email must show it",
    ]


def test_local_http_base_url_is_allowed_for_our_own_links(project: Path):
    """With the default http://127.0.0.1 base URL, footer links pass; other http links don't."""
    body = '<p><a href="http://acme.example/x">x</a></p>'
    problems = _validate(project, "Hello", body, base_url="http://127.0.0.1:5000")
    assert problems == [TEMPLATE + "insecure link http://acme.example/x: use https://"]


def test_loader_problems_come_first_and_other_files_are_still_rendered(project: Path):
    """A broken campaign file is reported; the good one beside it is still rendered."""
    (project / "campaigns" / "broken.yaml").write_text("name: [\n")
    problems = _validate(project, "Hello", "<p>{{ nope }}</p>")
    assert problems == [
        "campaigns/broken.yaml:2: YAML syntax error: while parsing a flow node, expected the "
        "node content, but found '<stream end>'",
        TEMPLATE + "t/hello.html:1: UndefinedError: 'nope' is undefined",
    ]


def test_explicit_paths(project: Path):
    """Files, folders, purposes.yaml and scoring.yaml may be named; missing ones are reported."""
    _validate(project, "Hello", "<p>{{ nope }}</p>")
    campaigns = project / "campaigns"
    (campaigns / "scoring.yaml").write_text("not: [valid\n")
    (campaigns / "purposes.yaml").write_text("purposes: []\n")
    paths = [campaigns / "test.yaml", campaigns / "purposes.yaml", campaigns / "scoring.yaml"]
    problems = validate_paths([*paths, project / "nope.yaml"], _settings(project))
    assert [str(p).replace(f"{project}/", "") for p in problems] == [
        "campaigns/purposes.yaml:1: purposes: must have at least 1 item",
        "campaigns/scoring.yaml:2: YAML syntax error: while parsing a flow sequence (from line "
        "1), expected ',' or ']', but got '<stream end>'",
        TEMPLATE + "t/hello.html:1: UndefinedError: 'nope' is undefined",
        "nope.yaml: no such file or folder",
    ]


def test_shipped_example_campaigns_validate_cleanly():
    """The campaigns and templates in the repository pass their own validator."""
    settings = Settings(
        campaigns_dir=REPO / "campaigns",
        templates_dir=REPO / "templates",
        base_url="https://mail.acme.example",
        postal_address="Acme S.L., Calle de Alcalá 21, 28014 Madrid, Spain",
    )
    assert [str(p) for p in validate_paths(None, settings)] == []


HTML_CASES = [
    (
        "everything visible",
        f'<a href="{UNSUBSCRIBE}">u</a><a href="{PREFERENCES}">p</a><p>{ADDRESS}</p>',
        [],
    ),
    (
        "address over several lines with <br>",
        f'<a href="{UNSUBSCRIBE}">u</a><a href="{PREFERENCES}">p</a>'
        "<p>Acme S.L.<br>Calle Mayor 1<br>28013 Madrid</p>",
        [],
    ),
    (
        "links hidden by the hidden attribute and font-size:0",
        f'<div hidden><a href="{UNSUBSCRIBE}">u</a></div>'
        f'<span style="font-size: 0"><a href="{PREFERENCES}">p</a></span><p>{ADDRESS}</p>',
        [
            "the unsubscribe link ({{ unsubscribe_url }}) is hidden from the reader "
            "(hidden, display:none, font-size:0…)",
            "the preference centre link ({{ preferences_url }}) is hidden from the reader "
            "(hidden, display:none, font-size:0…)",
        ],
    ),
    (
        "URL as text, address in a comment",
        f"<p>{UNSUBSCRIBE}</p><a href='{PREFERENCES}'>p</a><!-- {ADDRESS} -->",
        [
            "the HTML part has no unsubscribe link ({{ unsubscribe_url }})",
            "the HTML part does not show the postal address ({{ postal_address }})",
        ],
    ),
    (
        "address only in the <title>",
        f'<head><title>{ADDRESS}</title></head><a href="{UNSUBSCRIBE}">u</a>'
        f'<a href="{PREFERENCES}">p</a>',
        ["the HTML part does not show the postal address ({{ postal_address }})"],
    ),
    (
        "entities are decoded before comparing",
        f'<a href="{UNSUBSCRIBE}&amp;x=1">u</a><a href="{PREFERENCES}">p</a><p>{ADDRESS}</p>',
        ["the HTML part has no unsubscribe link ({{ unsubscribe_url }})"],
    ),
]


@pytest.mark.parametrize(
    ("html", "expected"), [c[1:] for c in HTML_CASES], ids=[c[0] for c in HTML_CASES]
)
def test_html_issues(html: str, expected: list[str]):
    """What a reader sees is what counts: hidden links and comments do not."""
    assert mailcheck.html_issues(html, UNSUBSCRIBE, PREFERENCES, ADDRESS, "https://x") == expected


@pytest.mark.parametrize(
    ("url", "base_url", "insecure"),
    [
        ("https://acme.example/", "https://mail.acme.example", False),
        ("http://acme.example/", "https://mail.acme.example", True),
        ("HTTP://acme.example/", "http://127.0.0.1:5000", True),
        ("http://127.0.0.1:5000/u/x", "http://127.0.0.1:5000", False),
        ("http://mail.acme.example/u/x", "https://mail.acme.example", True),
        ("mailto:hello@acme.example", "https://mail.acme.example", False),
    ],
)
def test_insecure_links(url: str, base_url: str, insecure: bool):
    """http:// is refused except our own links while the base URL itself is http (dev)."""
    html = f'<a href="{url}">x</a>'
    issues = mailcheck.html_issues(html, url, url, "", base_url)
    assert any(issue.startswith("insecure link") for issue in issues) is insecure


@pytest.mark.parametrize(
    ("subject", "issue"),
    [
        ("Welcome, Alex", None),
        ("GDPR: what changes for you", None),
        ("NEW", None),  # too short to shout
        ("  ", "the subject is empty once rendered"),
        ("FREE TRIAL!!!", "is in capital letters"),
        ("Hello\r\nBcc: x@y.example", "line break"),
    ],
)
def test_subject_issues(subject: str, issue: str | None):
    """Empty, shouting or multi-line subjects are refused."""
    issues = mailcheck.subject_issues(subject)
    if issue is None:
        assert issues == []
    else:
        assert len(issues) == 1
        assert issue in issues[0]


def test_text_issues():
    """The text part needs the unsubscribe and preferences URLs and the address."""
    good = f"Hi\n\nUnsubscribe: {UNSUBSCRIBE}\nPreferences: {PREFERENCES}\n{ADDRESS}\n"
    assert mailcheck.text_issues(good, UNSUBSCRIBE, PREFERENCES, ADDRESS) == []
    assert mailcheck.text_issues("Hi", UNSUBSCRIBE, PREFERENCES, ADDRESS) == [
        "the text part has no unsubscribe link ({{ unsubscribe_url }})",
        "the text part has no preference centre link ({{ preferences_url }})",
        "the text part does not show the postal address ({{ postal_address }})",
    ]
