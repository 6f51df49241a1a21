"""Signed link tokens: one purpose each, rotation-safe, expiring, never leaking details."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from nurture.consent.tokens import PURPOSES, ExpiredToken, InvalidToken, Tokens

KEYS = ("newest-key", "older-key")


@pytest.mark.parametrize("minted_for", PURPOSES)
@pytest.mark.parametrize("checked_as", PURPOSES)
def test_a_token_is_valid_only_for_its_purpose(minted_for: str, checked_as: str) -> None:
    """A token minted for one purpose is refused by every other."""
    tokens = Tokens(KEYS)
    token = tokens.sign(minted_for, "lead-public-id")
    if minted_for == checked_as:
        assert tokens.verify(checked_as, token) == "lead-public-id"
    else:
        with pytest.raises(InvalidToken):
            tokens.verify(checked_as, token)


def test_old_tokens_survive_a_key_rotation() -> None:
    """A link signed before a new key was put in front still works."""
    before = Tokens(("older-key",)).sign("unsubscribe", ["lead", "newsletter", "welcome"])
    after_rotation = Tokens(("brand-new-key", "older-key"))
    assert after_rotation.verify("unsubscribe", before) == ["lead", "newsletter", "welcome"]


def test_retired_key_tokens_are_refused() -> None:
    """Dropping a key from the list retires every token it signed."""
    token = Tokens(("retired-key",)).sign("preferences", "lead")
    with pytest.raises(InvalidToken):
        Tokens(("current-key",)).verify("preferences", token)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="signature"),
        pytest.param(lambda t: "x" + t, id="payload"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "not.a.token", id="garbage"),
    ],
)
def test_tampered_tokens_are_refused(mangle) -> None:
    """Any change to a token makes it invalid."""
    tokens = Tokens(KEYS)
    with pytest.raises(InvalidToken):
        tokens.verify("unsubscribe", mangle(tokens.sign("unsubscribe", "lead")))


def test_expired_and_future_dated_tokens_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lifetimes hold in both directions: too old, or dated after now."""
    tokens = Tokens(KEYS, confirm_days=2)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 3 * 86_400)
    old = tokens.sign("confirm", "lead")
    monkeypatch.setattr(time, "time", lambda: real_time() + 3 * 86_400)
    future = tokens.sign("confirm", "lead")
    monkeypatch.setattr(time, "time", real_time)
    with pytest.raises(ExpiredToken):
        tokens.verify("confirm", old)
    with pytest.raises(ExpiredToken):
        tokens.verify("confirm", future)


def test_unsubscribe_links_last_at_least_a_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mail read a year later still unsubscribes."""
    tokens = Tokens(KEYS)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 366 * 86_400)
    token = tokens.sign("unsubscribe", ["lead", "newsletter", None])
    monkeypatch.setattr(time, "time", real_time)
    assert tokens.verify("unsubscribe", token)[0] == "lead"


def test_payload_is_opaque_ids_only() -> None:
    """The token's readable payload holds what we put in it: an opaque id, no email."""
    token = Tokens(KEYS).sign("preferences", "Zq3-opaque")
    payload = URLSafeTimedSerializer("ignored").loads_unsafe(token)[1]
    assert payload == "Zq3-opaque"


# Long enough that zlib shortens it: itsdangerous, as nurture used it before, compressed.
COMPRESSIBLE = ["lead", ["newsletter"] * 20]


def test_tokens_minted_compressed_still_verify() -> None:
    """Links in inboxes from before signing stopped trying zlib keep working."""
    compressed = URLSafeTimedSerializer(list(reversed(KEYS)), salt="nurture.confirm").dumps(
        COMPRESSIBLE
    )
    assert compressed.startswith(".")  # the mark of a compressed payload
    assert Tokens(KEYS).verify("confirm", compressed) == COMPRESSIBLE


def test_tokens_are_itsdangerous_tokens_left_uncompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short payloads come out exactly as itsdangerous itself makes them; long ones are
    not compressed, and both verify with the library alone."""
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000)
    library = URLSafeTimedSerializer(list(reversed(KEYS)), salt="nurture.unsubscribe")
    payload = ["p0123456789abcdef01234567", "newsletter", "welcome"]
    assert Tokens(KEYS).sign("unsubscribe", payload) == library.dumps(payload)
    long = Tokens(KEYS).sign("unsubscribe", COMPRESSIBLE)
    assert not long.startswith(".")
    assert library.loads(long) == COMPRESSIBLE
