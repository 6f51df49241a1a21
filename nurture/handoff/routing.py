"""Which rep gets a pushed lead (pure): territory, then capacity, then round robin.

Round robin is "least recently assigned": the rep whose last assignment is oldest gets
the next lead, reps never assigned first, in file order. With every rep available that
is exactly A, B, C, A, B, C; it also survives reps being added, removed or put on holiday
without a cursor to repair, because the order is read from the assignments themselves.

Territory: reps whose `countries` include the lead's country first; if none of them is
available, the reps without `countries` (who take any lead). Capacity: a rep with
`max_open` open leads (assigned or accepted) is skipped. Nobody available → None, and the
lead goes to the pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from nurture.scoring.rules import Rep

NEVER = (datetime.min.replace(tzinfo=UTC), 0)


@dataclass(frozen=True)
class RepLoad:
    open: int = 0
    # (time, event id) of the rep's latest assignment; the id orders equal times.
    last: tuple[datetime, int] = NEVER


def choose_rep(
    reps: Sequence[Rep], country: str | None, loads: Mapping[str, RepLoad]
) -> Rep | None:
    active = [rep for rep in reps if rep.active]
    wanted = (country or "").upper()
    local = [rep for rep in active if rep.countries and wanted in rep.countries]
    anywhere = [rep for rep in active if not rep.countries]
    for candidates in (local, anywhere):
        available = [rep for rep in candidates if _has_room(rep, loads)]
        if available:
            return min(available, key=lambda rep: loads.get(rep.id, RepLoad()).last)
    return None


def _has_room(rep: Rep, loads: Mapping[str, RepLoad]) -> bool:
    return rep.max_open is None or loads.get(rep.id, RepLoad()).open < rep.max_open
