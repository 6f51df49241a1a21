"""Who gets a pushed lead: round robin, territory, capacity (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.handoff.routing import RepLoad, choose_rep
from nurture.scoring.rules import Rep

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def rep(rep_id: str, **options: object) -> Rep:
    return Rep.model_validate({"id": rep_id, "email": f"{rep_id}@acme.example", **options})


def test_round_robin_takes_turns_in_file_order() -> None:
    """A, B, C, A, B, C: the least recently assigned rep is next."""
    reps = [rep("ana"), rep("ben"), rep("cai")]
    loads: dict[str, RepLoad] = {}
    order = []
    for n in range(6):
        chosen = choose_rep(reps, "ES", loads)
        assert chosen is not None
        order.append(chosen.id)
        loads[chosen.id] = RepLoad(loads.get(chosen.id, RepLoad()).open + 1, (T0, n + 1))
    assert order == ["ana", "ben", "cai", "ana", "ben", "cai"]


def test_equal_times_are_ordered_by_hand_off_id() -> None:
    """Two assignments in one instant (one batch): the later hand-off id was later."""
    loads = {"ana": RepLoad(1, (T0, 8)), "ben": RepLoad(1, (T0, 7))}
    chosen = choose_rep([rep("ana"), rep("ben")], None, loads)
    assert chosen is not None
    assert chosen.id == "ben"


@pytest.mark.parametrize(
    ("country", "loads", "expected"),
    [
        ("es", {}, "ana"),  # the territory's rep, any case
        ("PT", {}, "ana"),
        ("FR", {}, "cai"),  # no territory rep: whoever takes any country
        (None, {}, "cai"),
        ("ES", {"ana": RepLoad(open=2)}, "cai"),  # ana is full: fall back
        ("ES", {"ana": RepLoad(open=2), "cai": RepLoad(open=1)}, None),  # everyone full
        ("GB", {}, "cai"),  # ben is inactive
    ],
)
def test_territory_capacity_and_availability(
    country: str | None, loads: dict[str, RepLoad], expected: str | None
) -> None:
    """Territory first, then reps for any country; full or inactive reps are skipped."""
    reps = [
        rep("ana", countries=["ES", "PT"], max_open=2),
        rep("ben", countries=["GB"], active=False),
        rep("cai", max_open=1),
    ]
    chosen = choose_rep(reps, country, loads)
    assert (chosen.id if chosen else None) == expected


def test_a_rep_back_from_holiday_is_next() -> None:
    """The rep whose last assignment is oldest goes first, however long ago."""
    loads = {
        "ana": RepLoad(0, (T0, 10)),
        "ben": RepLoad(0, (T0 - timedelta(days=14), 2)),
    }
    chosen = choose_rep([rep("ana"), rep("ben")], None, loads)
    assert chosen is not None
    assert chosen.id == "ben"
