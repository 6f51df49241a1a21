"""Consent purposes: the shipped file, the strict format, locale fallback and wording hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nurture.campaigns.purposes import (
    Purposes,
    PurposesError,
    load_purposes,
    pick_locale,
    read_purposes,
    wording_hash,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "campaigns" / "purposes.yaml"

GOOD = """\
purposes:
  - id: newsletter
    basis: consent
    title:
      en: Newsletter
      es: Boletín
    wording:
      en: >-
        Email me the newsletter.
      es: Quiero recibir el boletín.
  - id: tracking
    basis: legitimate_interest
    title: {en: Tracking}
    wording: {en: Record my opens.}
    description: Internal note.
"""


def _purposes(tmp_path: Path, text: str = GOOD) -> tuple[Purposes | None, list[str]]:
    path = tmp_path / "purposes.yaml"
    path.write_text(text)
    purposes, problems = read_purposes(path)
    return purposes, [str(p).replace(f"{tmp_path}/", "") for p in problems]


def test_shipped_file_declares_the_contract_purposes_in_english_and_spanish():
    """newsletter, product_updates, tracking and events ship with en and es wording."""
    purposes, problems = read_purposes(SHIPPED)
    assert problems == []
    assert purposes is not None
    assert {"newsletter", "product_updates", "tracking", "events"} <= set(purposes.ids)
    for purpose in purposes:
        assert set(purpose.wording) >= {"en", "es"}
        assert set(purpose.title) >= {"en", "es"}
        assert purpose.basis in ("consent", "legitimate_interest")
        # Plain language that says how to withdraw: every wording mentions it.
        assert "any time" in purpose.wording["en"]
        assert "cuando quiera" in purpose.wording["es"]


def test_good_file_loads_with_stripped_wording(tmp_path: Path):
    """Folded YAML blocks lose their trailing newline; the rest is kept as written."""
    purposes, problems = _purposes(tmp_path)
    assert problems == []
    assert purposes is not None
    assert purposes.ids == ["newsletter", "tracking"]
    assert purposes.wording("newsletter") == "Email me the newsletter."
    newsletter, tracking = purposes.get("newsletter"), purposes.get("tracking")
    assert newsletter is not None
    assert newsletter.basis == "consent"
    assert tracking is not None
    assert tracking.basis == "legitimate_interest"
    assert tracking.description == "Internal note."
    assert purposes.get("nope") is None
    assert "tracking" in purposes
    assert len(purposes) == 2


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es", "Quiero recibir el boletín."),
        ("es-MX", "Quiero recibir el boletín."),
        ("es_ES", "Quiero recibir el boletín."),
        ("ES", "Quiero recibir el boletín."),
        ("fr", "Email me the newsletter."),
        (None, "Email me the newsletter."),
        ("", "Email me the newsletter."),
    ],
)
def test_wording_falls_back_to_language_then_english(
    tmp_path: Path, locale: str | None, expected: str
):
    """A regional locale uses its language; an unknown one uses English."""
    purposes, _ = _purposes(tmp_path)
    assert purposes is not None
    assert purposes.wording("newsletter", locale) == expected


def test_title_and_unknown_purpose(tmp_path: Path):
    """Titles follow the same fallback; an unknown purpose id is a KeyError, never a guess."""
    purposes, _ = _purposes(tmp_path)
    assert purposes is not None
    assert purposes.title("newsletter", "es-AR") == "Boletín"
    assert purposes.title("tracking", "es") == "Tracking"
    with pytest.raises(KeyError):
        purposes.wording("nope", "en")


def test_pick_locale_exact_match_wins():
    """A text for the exact regional locale beats its language."""
    texts = {"en": "en", "pt": "pt", "pt-BR": "br"}
    assert pick_locale(texts, "pt-BR") == "br"
    assert pick_locale(texts, "pt-PT") == "pt"


def test_wording_hash_is_sha256_of_the_nfc_text():
    """The same words typed composed or decomposed have one version."""
    composed, decomposed = "Quiero recibir el bolet\u00edn", "Quiero recibir el boleti\u0301n"
    assert composed != decomposed
    assert wording_hash(composed) == wording_hash(decomposed)
    assert wording_hash(composed) == hashlib.sha256(composed.encode("utf-8")).hexdigest()
    assert wording_hash("a") != wording_hash("a ")


BAD_PURPOSES = [
    (
        "missing en wording",
        GOOD.replace("      en: >-\n        Email me the newsletter.\n", ""),
        [
            "purposes.yaml:7: purposes[0].wording: needs an `en` text: every other locale "
            "falls back to it"
        ],
    ),
    (
        "unknown basis",
        GOOD.replace("basis: legitimate_interest", "basis: contract"),
        [
            "purposes.yaml:12: purposes[1].basis: input should be 'consent' or "
            "'legitimate_interest', got 'contract'"
        ],
    ),
    (
        "bad locale",
        GOOD.replace("      es: Quiero", "      Spanish: Quiero"),
        [
            "purposes.yaml:10: purposes[0].wording.Spanish: 'Spanish' is not a locale: write a "
            "language code like en, es or pt-BR"
        ],
    ),
    (
        "empty wording",
        GOOD.replace("{en: Record my opens.}", '{en: "  "}'),
        ["purposes.yaml:14: purposes[1].wording.en: must not be empty"],
    ),
    (
        "duplicate id points at the second one",
        GOOD.replace("id: tracking", "id: newsletter"),
        ["purposes.yaml:11: duplicate purpose id"],
    ),
    (
        "unknown key",
        GOOD.replace("    description:", "    descripton:"),
        [
            "purposes.yaml:15: unknown key 'descripton' in purposes[1] (did you mean "
            "'description'?); allowed: id, basis, title, wording, description"
        ],
    ),
    (
        "bare list",
        "- id: newsletter\n",
        ["purposes.yaml:1: expected a mapping of keys (`name: …`), found a list"],
    ),
    (
        "no purposes",
        "purposes: []\n",
        ["purposes.yaml:1: purposes: must have at least 1 item"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in BAD_PURPOSES], ids=[c[0] for c in BAD_PURPOSES]
)
def test_bad_purposes_file_gives_exact_file_and_line(
    tmp_path: Path, text: str, expected: list[str]
):
    """Every mistake in purposes.yaml is one file:line problem, and nothing loads."""
    purposes, problems = _purposes(tmp_path, text)
    assert problems == expected
    assert purposes is None


def test_missing_purposes_file(tmp_path: Path):
    """A missing file is one problem without a line."""
    purposes, problems = read_purposes(tmp_path / "purposes.yaml")
    assert purposes is None
    assert [p.message for p in problems] == ["purposes file not found: every campaign needs it"]
    assert problems[0].line == 0


def test_load_purposes_takes_the_campaigns_folder_and_raises_on_problems(tmp_path: Path):
    """The convenience loader for commands: a folder or the file in, Purposes or an error out."""
    assert load_purposes(SHIPPED.parent).ids == load_purposes(SHIPPED).ids
    (tmp_path / "purposes.yaml").write_text("purposes: []\n")
    with pytest.raises(PurposesError) as caught:
        load_purposes(tmp_path)
    assert str(caught.value) == f"{tmp_path}/purposes.yaml:1: purposes: must have at least 1 item"
    assert len(caught.value.problems) == 1
