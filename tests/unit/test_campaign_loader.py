"""Campaign YAML loading: safe parsing, line numbers, and one exact file:line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.campaigns.problems import Problem, sort_problems
from nurture.campaigns.registry import CampaignSet, address_error, load_campaigns
from nurture.campaigns.yamlsource import parse_yaml

PURPOSES = """\
purposes:
  - id: newsletter
    basis: consent
    title: {en: Newsletter}
    wording: {en: Email me the newsletter.}
  - id: tracking
    basis: consent
    title: {en: Tracking}
    wording: {en: Record my opens and clicks.}
"""

# Line numbers matter: the cases below edit this file and expect exact lines.
GOOD = """\
name: Welcome series
purpose: newsletter
sender: "Acme <hello@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    subject: "Welcome, {{ lead.first_name or 'there' }}"
    template: welcome/hello.html
  - id: second
    after: 2d
    subject: Second
    template: welcome/second.html
"""


def _edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def _load(tmp_path: Path, files: dict[str, str]) -> tuple[list[str], list[str]]:
    """Write campaigns/ with purposes.yaml; return (loaded ids, problems as text)."""
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    (folder / "purposes.yaml").write_text(PURPOSES)
    for name, text in files.items():
        (folder / name).write_text(text)
    result = load_campaigns(folder)
    prefix = f"{tmp_path}/"
    problems = [str(p).replace(prefix, "") for p in sort_problems(result.problems)]
    return sorted(result.campaigns), problems


BAD_CAMPAIGNS = [
    (
        "unknown key",
        _edit("name: Welcome series\n", "name: Welcome series\ncolour: blue\n"),
        [
            "campaigns/bad.yaml:2: unknown key 'colour'; allowed: id, name, purpose, sender, "
            "reply_to, entry, window, exit, steps"
        ],
    ),
    (
        "misspelt key in a step",
        _edit("    subject: Second\n", "    subjet: Second\n"),
        [
            "campaigns/bad.yaml:10: missing required key 'subject' in steps[1]",
            "campaigns/bad.yaml:12: unknown key 'subjet' in steps[1] (did you mean 'subject'?); "
            "allowed: id, after, if, subject, template",
        ],
    ),
    (
        "wrong type",
        _edit("name: Welcome series\n", "name: [Welcome, series]\n"),
        ["campaigns/bad.yaml:1: name: input should be a valid string, got a list"],
    ),
    (
        "missing required key",
        _edit("purpose: newsletter\n", ""),
        ["campaigns/bad.yaml:1: missing required key 'purpose'"],
    ),
    (
        "unquoted sexagesimal hours",
        _edit("steps:\n", "window:\n  hours: 10:30\nsteps:\n"),
        [
            'campaigns/bad.yaml:7: `10:30` is read by YAML as the number 630; quote it ("10:30") '
            "if you mean the text"
        ],
    ),
    (
        "Norway read as false",
        _edit(
            "  on: consent_confirmed\n",
            "  on: consent_confirmed\n  where:\n    country: [ES, NO]\n",
        ),
        [
            'campaigns/bad.yaml:7: `NO` is read by YAML as the boolean false; quote it ("NO") '
            "if you mean the text"
        ],
    ),
    (
        "duration without unit",
        _edit("    after: 2d\n", "    after: 2\n"),
        ["campaigns/bad.yaml:11: steps[1].after: must be a duration like 30m, 4h, 2d or 1w, not 2"],
    ),
    (
        "duration in words",
        _edit("    after: 2d\n", "    after: 2 days\n"),
        [
            "campaigns/bad.yaml:11: steps[1].after: '2 days' is not a duration: use a number "
            "and m, h, d or w (30m, 2d)"
        ],
    ),
    (
        "duration that would overflow a date",
        _edit("    after: 2d\n", "    after: 999999w\n"),
        ["campaigns/bad.yaml:11: steps[1].after: '999999w' is longer than ten years (3653d)"],
    ),
    (
        "unknown time zone",
        _edit("steps:\n", "window:\n  timezone: Europe/Madird\nsteps:\n"),
        [
            "campaigns/bad.yaml:7: window.timezone: unknown time zone 'Europe/Madird' "
            "(use an IANA name like Europe/Madrid)"
        ],
    ),
    (
        "if names an unknown step",
        _edit("    after: 2d\n", "    after: 2d\n    if: {opened: helo}\n"),
        ["campaigns/bad.yaml:12: step 'second': `if` names unknown step 'helo'"],
    ),
    (
        "if names a later step",
        _edit("  - id: hello\n", "  - id: hello\n    if:\n      clicked: second\n"),
        ["campaigns/bad.yaml:9: step 'hello': `if` names step 'second', which is not before it"],
    ),
    (
        "empty if",
        _edit("    after: 2d\n", "    after: 2d\n    if: {}\n"),
        [
            "campaigns/bad.yaml:12: steps[1].if: an empty `if:` always holds: remove it or "
            "name a condition"
        ],
    ),
    (
        "duplicate key",
        _edit("    subject: Second\n", "    subject: Second\n    subject: Third\n"),
        ["campaigns/bad.yaml:13: duplicate key 'subject' (first at line 12)"],
    ),
    (
        "duplicate step id points at the second one",
        _edit("  - id: second\n", "  - id: hello\n"),
        ["campaigns/bad.yaml:10: duplicate step id 'hello'"],
    ),
    (
        "unknown purpose",
        _edit("purpose: newsletter\n", "purpose: newsleter\n"),
        [
            "campaigns/bad.yaml:2: unknown purpose 'newsleter': purposes.yaml declares "
            "newsletter, tracking"
        ],
    ),
    (
        "tracking is not a mailing purpose",
        _edit("purpose: newsletter\n", "purpose: tracking\n"),
        [
            "campaigns/bad.yaml:2: purpose 'tracking' is the consent to open and click "
            "tracking, not to receiving mail: name the purpose this mail is sent under"
        ],
    ),
    (
        "invalid sender",
        _edit('sender: "Acme <hello@acme.example>"\n', "sender: Acme hello@acme\n"),
        [
            "campaigns/bad.yaml:3: sender: 'Acme hello@acme' is not a valid email address: "
            "The email address contains invalid characters before the @-sign: SPACE."
        ],
    ),
    (
        "header injection through reply_to",
        _edit("entry:\n", 'reply_to: "a@acme.example\\r\\nBcc: all@acme.example"\nentry:\n'),
        [
            "campaigns/bad.yaml:4: reply_to: must be on one line (a line break here would "
            "inject mail headers)"
        ],
    ),
    (
        "YAML syntax error",
        _edit("    subject: Second\n", '    subject: "Second\n'),
        [
            "campaigns/bad.yaml:14: YAML syntax error: while scanning a quoted scalar (from "
            "line 12), found unexpected end of stream"
        ],
    ),
    (
        "several documents",
        GOOD + "---\nname: Another\n",
        [
            "campaigns/bad.yaml:14: YAML syntax error: expected a single document in the "
            "stream (from line 1), but found another document"
        ],
    ),
    (
        "a list instead of a mapping",
        "- name: Welcome\n",
        ["campaigns/bad.yaml:1: expected a mapping of keys (`name: …`), found a list"],
    ),
    (
        "aliases are refused (billion laughs)",
        'a: &a ["lol", "lol"]\nb: &b [*a, *a]\n',
        ["campaigns/bad.yaml:2: aliases (*a) are not allowed: write the value out"],
    ),
    (
        "arbitrary Python object tags are refused",
        _edit("name: Welcome series\n", "name: !!python/object/apply:os.system [ls]\n"),
        [
            "campaigns/bad.yaml:1: the YAML tag tag:yaml.org,2002:python/object/apply:os.system "
            "is not supported here"
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [case[1:] for case in BAD_CAMPAIGNS],
    ids=[case[0] for case in BAD_CAMPAIGNS],
)
def test_bad_campaign_gives_exact_file_and_line(tmp_path: Path, text: str, expected: list[str]):
    """Each mistake is reported once, at its own line, and the file is left out."""
    loaded, problems = _load(tmp_path, {"bad.yaml": text})
    assert problems == expected
    assert loaded == []


def test_good_file_beside_a_broken_one_still_loads(tmp_path: Path):
    """A broken file is reported and skipped; the others load."""
    loaded, problems = _load(tmp_path, {"good.yaml": GOOD, "bad.yaml": "name: [\n"})
    assert loaded == ["good"]
    assert len(problems) == 1
    assert problems[0].startswith("campaigns/bad.yaml:2: YAML syntax error")


def test_on_is_a_key_and_id_defaults_to_the_stem(tmp_path: Path):
    """`on:` is the text key "on" (not YAML 1.1 true), and id comes from the file name."""
    folder = tmp_path / "campaigns"
    _load(tmp_path, {"welcome.yaml": GOOD})
    loaded = load_campaigns(folder).campaigns["welcome"]
    assert loaded.campaign.entry.on == "consent_confirmed"
    assert loaded.path == folder / "welcome.yaml"
    assert loaded.line_of(("steps", 1, "subject")) == 12


def test_duplicate_campaign_id_is_an_error_on_the_second_file(tmp_path: Path):
    """Ids are unique across files; the first file (by name) wins."""
    loaded, problems = _load(
        tmp_path, {"a.yaml": "id: same\n" + GOOD, "b.yaml": "id: same\n" + GOOD}
    )
    assert loaded == ["same"]
    assert problems == [
        "campaigns/b.yaml:1: campaign id 'same' is already used by campaigns/a.yaml"
    ]


def test_purposes_and_scoring_files_are_not_campaigns(tmp_path: Path):
    """scoring.yaml belongs to another loader: its presence is tolerated, never parsed here."""
    loaded, problems = _load(tmp_path, {"welcome.yaml": GOOD, "scoring.yaml": "points: [\n"})
    assert (loaded, problems) == (["welcome"], [])


@pytest.mark.parametrize(
    ("edited", "same_version"),
    [
        (
            "# a comment\n" + GOOD.replace("purpose: newsletter", "purpose:   newsletter  # why"),
            True,
        ),
        (GOOD.replace("    after: 2d\n", "    after: 48h\n"), True),  # the same duration
        (GOOD.replace("  - id: hello\n", "  - id: hello\n    after: 0m\n"), True),  # the default
        (GOOD.replace("subject: Second", "subject: Second!"), False),
        (GOOD.replace("after: 2d", "after: 3d"), False),
    ],
)
def test_version_ignores_layout_but_not_meaning(tmp_path: Path, edited: str, same_version: bool):
    """The version is a hash of the validated model, not of the file's bytes."""
    folder = tmp_path / "campaigns"
    _load(tmp_path, {"welcome.yaml": GOOD})
    before = load_campaigns(folder).campaigns["welcome"].version
    (folder / "welcome.yaml").write_text(edited)
    after = load_campaigns(folder).campaigns["welcome"].version
    assert (before == after) is same_version
    assert len(after) == 64


def test_missing_purposes_file_is_one_problem_and_campaigns_still_load(tmp_path: Path):
    """Without purposes.yaml the purpose check is skipped, not repeated per campaign."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "welcome.yaml").write_text(GOOD)
    result = load_campaigns(folder)
    assert list(result.campaigns) == ["welcome"]
    assert [p.message for p in result.problems] == [
        "purposes file not found: every campaign needs it"
    ]


@pytest.mark.parametrize(
    ("text", "loc", "line"),
    [
        ("a: 1\nb:\n  c: [x, y]\n", ("b", "c", 1), 3),
        ("a: 1\nb:\n  - id: x\n    subject: y\n", ("b", 0, "subject"), 4),
        ("a: 1\nb:\n  - id: x\n", ("b", 0, "missing"), 3),  # nearest ancestor
        ("a: 1\n", ("nothing", "here"), 1),
    ],
)
def test_line_of_falls_back_to_the_nearest_ancestor(
    text: str, loc: tuple[str | int, ...], line: int
):
    """Every key and list item has a line; unknown paths use their closest known parent."""
    parsed, problems = parse_yaml(text, Path("x.yaml"))
    assert parsed is not None
    assert problems == []
    assert parsed.line_of(loc) == line


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("on: x\nyes: 1\n", {"on": "x", "yes": 1}),  # keys stay text
        ('a: "NO"\nb: true\nc: FALSE\n', {"a": "NO", "b": True, "c": False}),
        ("a: '10:30'\nb: 10\nc: 1.5\nd: y\n", {"a": "10:30", "b": 10, "c": 1.5, "d": "y"}),
        ("a: |\n  two\n  lines\n", {"a": "two\nlines\n"}),
    ],
)
def test_values_that_mean_what_they_say_load_unchanged(text: str, data: dict[str, object]):
    """Quoted text, true/false and plain numbers are not flagged."""
    parsed, problems = parse_yaml(text, Path("x.yaml"))
    assert problems == []
    assert parsed is not None
    assert parsed.data == data


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("Acme <hello@acme.example>", None),
        ("hello@acme.example", None),
        ('"Acme, Inc." <hello@acme.example>', None),
        ("a@acme.example, b@acme.example", "is not one email address"),
        ("Acme <>", "is not one email address"),
        ("Acme <hello@localhost>", "is not a valid email address"),
        ("Acme <hello@acme.example>\nBcc: x@y.example", "must be on one line"),
        # RFC 5322 comments: parsed by the loader's getaddresses, not by the mailer.
        ("news@acme.example (Acme News)", "cannot be a From or Reply-To"),
        ("Acme <hello@acme.example> (Sales)", "cannot be a From or Reply-To"),
        ("José Núñez <jose@acme.example>", None),
    ],
)
def test_address_error(value: str, error: str | None):
    """Sender and reply-to are one real address, on one line, that the mailer can write."""
    found = address_error(value)
    if error is None:
        assert found is None
    else:
        assert error in (found or "")


def test_problems_print_as_file_line_message_sorted():
    """Problems sort by file then line and print like compiler errors."""
    problems = [
        Problem(Path("b.yaml"), 1, "x"),
        Problem(Path("a.yaml"), 9, "y"),
        Problem(Path("a.yaml"), 2, "z"),
    ]
    assert [str(p) for p in sort_problems(problems)] == [
        "a.yaml:2: z",
        "a.yaml:9: y",
        "b.yaml:1: x",
    ]
    assert str(Problem(Path("environment"), 0, "X is not set")) == "environment: X is not set"


def test_a_campaign_not_loaded_may_return_only_if_its_file_is_there_or_nothing_loads(
    tmp_path: Path,
) -> None:
    """The sender holds a step whose campaign may load again, and cancels the others."""
    (tmp_path / "purposes.yaml").write_text(PURPOSES)
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "typo.yaml").write_text("name: [\n")
    loaded = load_campaigns(tmp_path)
    assert set(loaded.campaigns) == {"good"}
    assert loaded.may_return("typo")  # its file is there and does not load
    assert not loaded.may_return("gone")  # no file defines it
    assert CampaignSet().may_return("gone")  # nothing loads: a missing folder, say
