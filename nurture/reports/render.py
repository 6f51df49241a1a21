"""`nurture report` as a table: counts with their rates, then the lead breakdowns."""

from __future__ import annotations

from nurture.reports.funnel import CampaignFunnel, StepFunnel
from nurture.reports.leads import LeadBreakdown
from nurture.reports.service import Report

COLUMNS = (
    ("sent", "sent", None),
    ("delivered", "delivered", "delivered"),
    ("opened", "opened", "opened"),
    ("(machines)", "opened_machines", None),
    ("clicked", "clicked", "clicked"),
    ("(machines)", "clicked_machines", None),
    ("unsub.", "unsubscribed", "unsubscribed"),
    ("bounced", "bounced", "bounced"),
    ("converted", "converted", "converted"),
)


def _cell(step: StepFunnel, count: str, rate: str | None) -> str:
    value = f"{step.counts[count]:,}"
    share = step.rates().get(rate) if rate else None
    return f"{value} ({share:.1%})" if share is not None else value


def _funnel(funnel: CampaignFunnel) -> list[str]:
    title = f"{funnel.id}" + (f" — {funnel.name}" if funnel.name else " (file removed)")
    rows = [[step.id] + [_cell(step, c, r) for _, c, r in COLUMNS] for step in funnel.steps]
    rows.append(["all steps"] + [_cell(funnel.total, c, r) for _, c, r in COLUMNS])
    header = ["step"] + [label for label, _, _ in COLUMNS]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )

    return [title, line(header), *(line(row) for row in rows)]


def _counts(title: str, counts: dict[str, int], total: int) -> list[str]:
    parts = (
        [f"{name} {count:,} ({count / total:.0%})" for name, count in counts.items()]
        if total
        else []
    )
    return [f"{title}: " + (", ".join(parts) or "none")]


def _leads(leads: LeadBreakdown) -> list[str]:
    lines = [f"leads: {leads.total:,}"]
    lines += _counts("  by temperature", leads.by_temperature, leads.total)
    lines += _counts("  by stage", leads.by_stage, leads.total)
    lines += _counts("  by source", leads.by_source, leads.total)
    lines.append("  conversion by source:")
    for c in leads.conversion_by_source:
        rate = f"{c.rate:.1%}" if c.rate is not None else "-"
        lines.append(f"    {c.source:<24} {c.customers:>7,} of {c.leads:>9,} leads  {rate:>6}")
    return lines


def to_table(report: Report) -> str:
    lines: list[str] = []
    for funnel in report.campaigns:
        lines += [*_funnel(funnel), ""]
    if not report.campaigns:
        lines += ["no campaign has sent mail yet", ""]
    lines += [
        "opened/clicked: by people (share of delivered); (machines): only by mail-privacy "
        "proxies or link scanners. converted: after receiving the step.",
        "",
        *_leads(report.leads),
    ]
    return "\n".join(lines)
