"""A simulation's result: per-step volumes, sends per day, exits and waits, and lint.

`to_json` is the contract's shape (`{"campaign", "steps": [{"id", "sent", "skipped"}…],
"exited", …}`); `to_table` is what a marketer reads in the terminal. Days are counted in
the campaign window's time zone (the marketer's calendar), UTC without a window.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nurture.campaigns.schema import Campaign
from nurture.simulation.engagement import Assumptions
from nurture.simulation.population import Population
from nurture.simulation.run import Trace


@dataclass
class StepOutcome:
    id: str
    sent: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    first_send: str | None = None
    last_send: str | None = None


@dataclass
class Outcome:
    campaign: str
    name: str
    start: str
    end: str
    timezone: str
    population: str  # "synthetic" or "real"
    leads: int  # leads considered (generated or found)
    enrolled: int
    not_enrolled: dict[str, int]
    steps: list[StepOutcome]
    exited: int
    exit_reasons: dict[str, int]
    completed: int
    waiting: int
    wait_reasons: dict[str, int]
    per_day: list[dict[str, Any]]  # {"date", "<step id>": n…, "total"}
    assumptions: dict[str, Any] | None
    lint: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarise(
    campaign: Campaign,
    population: Population,
    trace: Trace,
    start: datetime,
    end: datetime,
    assumptions: Assumptions | None,
    lint: list[str],
) -> Outcome:
    zone_name = campaign.window.timezone if campaign.window and campaign.window.timezone else "UTC"
    zone = ZoneInfo(zone_name)
    steps = {step.id: StepOutcome(step.id) for step in campaign.steps}
    days: dict[str, Counter[str]] = {}
    for sent in trace.sent:
        step = steps[sent.step_id]
        step.sent += 1
        local = sent.at.astimezone(zone)
        stamp = local.strftime("%Y-%m-%d %H:%M")
        step.first_send = step.first_send or stamp
        step.last_send = max(step.last_send or stamp, stamp)
        days.setdefault(local.date().isoformat(), Counter())[sent.step_id] += 1
    for skipped in trace.skipped:
        step = steps[skipped.step_id]
        step.skipped += 1
        step.skip_reasons[skipped.reason] = step.skip_reasons.get(skipped.reason, 0) + 1
    per_day = [
        {"date": day, **{step_id: counts[step_id] for step_id in steps}, "total": counts.total()}
        for day, counts in sorted(days.items())
    ]
    return Outcome(
        campaign=campaign.id,
        name=campaign.name,
        start=start.isoformat(),
        end=end.isoformat(),
        timezone=zone_name,
        population=population.kind,
        leads=population.considered,
        enrolled=len(population.leads),
        not_enrolled=population.not_enrolled,
        steps=list(steps.values()),
        exited=sum(trace.exited.values()),
        exit_reasons=trace.exited,
        completed=trace.completed,
        waiting=sum(trace.waiting.values()),
        wait_reasons=trace.waiting,
        per_day=per_day,
        assumptions=asdict(assumptions) if assumptions else None,
        lint=lint,
    )


def _reasons(reasons: dict[str, int]) -> str:
    return ", ".join(
        f"{reason} ×{count}" for reason, count in sorted(reasons.items(), key=lambda r: -r[1])
    )


def to_table(outcome: Outcome) -> str:
    o = outcome
    lines = [
        f"campaign {o.campaign} ({o.name}): {o.enrolled} of {o.leads} {o.population} leads "
        f"enrolled, {o.start[:16]} → {o.end[:16]} (UTC)",
    ]
    if o.not_enrolled:
        lines.append(f"  not enrolled: {_reasons(o.not_enrolled)}")
    if o.assumptions:
        a = o.assumptions
        lines.append(
            f"  assumed per mail: opens {a['open_rate']:.1%}, clicks {a['click_rate']:.1%}, "
            f"replies {a['reply_rate']:.1%}, unsubscribes {a['unsubscribe_rate']:.1%}, "
            f"conversions {a['convert_rate']:.1%} (seed {a['seed']})"
        )
    width = max(len("step"), *(len(step.id) for step in o.steps))
    lines += [
        "",
        f"{'step':<{width}}  {'sent':>7}  {'skipped':>7}  first send ({o.timezone})  last send",
    ]
    for step in o.steps:
        lines.append(
            f"{step.id:<{width}}  {step.sent:>7}  {step.skipped:>7}  "
            f"{step.first_send or '-':<{len(o.timezone) + 13}}  {step.last_send or '-'}"
        )
        if step.skip_reasons:
            lines.append(f"{'':<{width}}  skipped: {_reasons(step.skip_reasons)}")
    lines += ["", f"exited {o.exited}" + (f": {_reasons(o.exit_reasons)}" if o.exited else "")]
    lines.append(f"completed {o.completed}")
    lines.append(
        f"still in the campaign at the end {o.waiting}"
        + (f": {_reasons(o.wait_reasons)}" if o.waiting else "")
    )
    lines += ["", f"sends per day ({o.timezone})", _day_table(o)]
    lines += ["", "lint: " + ("no problems" if not o.lint else f"{len(o.lint)} problem(s)")]
    lines += [f"  {problem}" for problem in o.lint]
    return "\n".join(lines)


def _day_table(o: Outcome) -> str:
    if not o.per_day:
        return "  (no mail would go out)"
    ids = [step.id for step in o.steps]
    widths = [max(len(step_id), 5) for step_id in ids]
    head = (
        "date        "
        + "  ".join(f"{s:>{w}}" for s, w in zip(ids, widths, strict=True))
        + "  total"
    )
    rows = [
        f"{day['date']}  "
        + "  ".join(f"{day[s]:>{w}}" for s, w in zip(ids, widths, strict=True))
        + f"  {day['total']:>5}"
        for day in o.per_day
    ]
    return "\n".join([head, *rows])
