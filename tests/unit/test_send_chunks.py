"""How the mails of one scheduler batch are cut into broker messages."""

from __future__ import annotations

import pytest

from nurture.actors import MAX_SEND_CHUNK, send_chunk_size


@pytest.mark.parametrize(
    ("mails", "per_chunk"),
    [
        (1, 1),
        (16, 1),  # a short list: one mail per thread that may take it
        (17, 2),
        (400, 25),
        (1_600, 100),
        (2_000, MAX_SEND_CHUNK),  # a full scheduler batch: the broker's work amortised
        (1_000_000, MAX_SEND_CHUNK),
    ],
)
def test_chunk_size(mails: int, per_chunk: int) -> None:
    assert send_chunk_size(mails) == per_chunk
