"""Helpers for the tracking tests: tracked leads, sent messages, links found in mail, hits."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from nurture.consent.ledger import Proof, append
from nurture.db import unit_of_work
from nurture.models import Event, Lead, Message
from nurture.runtime import Runtime
from tests.pipeline import REPO, add_lead

CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFE_LINKS = "Mozilla/5.0 (compatible; Microsoft SafeLinks)"
APPLE_PROXY = "Mozilla/5.0"
HOME_IP = "198.51.100.23"
_HREF = re.compile(r'href="([^"]+)"')
_PIXEL = re.compile(r'<img src="([^"]+/o/[^"]+\.gif)"')


def allow_tracking(rt: Runtime, lead_id: int, at: datetime) -> None:
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        append(session, lead, "tracking", "granted", Proof(source="cli", proof="test"), at)


def tracked_lead(rt: Runtime, email: str, at: datetime) -> int:
    """A confirmed newsletter subscriber who allowed tracking."""
    purposes = rt.settings.campaigns_dir / "purposes.yaml"
    if not purposes.exists():
        shutil.copyfile(REPO / "campaigns" / "purposes.yaml", purposes)
    lead_id = add_lead(rt, email, at)
    allow_tracking(rt, lead_id, at)
    return lead_id


def sent_message(rt: Runtime, lead_id: int, sent_at: datetime, step: str = "hello") -> str:
    """A message row as the sender leaves it; returns its public id."""
    with unit_of_work(rt.sessions) as session:
        row = Message(
            lead_id=lead_id,
            campaign_id="drip",
            step_id=step,
            purpose="newsletter",
            status="sent",
            tracked=True,
            sent_at=sent_at,
            claimed_at=sent_at,
        )
        session.add(row)
        session.flush()
        return row.public_id


def paths(html: str, base_url: str) -> Iterator[str]:
    """The path of every link and the pixel in an HTML part that points at the app."""
    for url in [*_HREF.findall(html), *_PIXEL.findall(html)]:
        url = url.replace("&amp;", "&")
        if url.startswith(base_url):
            yield urlsplit(url).path


def pixel_paths(html: str) -> list[str]:
    return [urlsplit(url).path for url in _PIXEL.findall(html)]


def click_paths(html: str) -> list[str]:
    return [urlsplit(url).path for url in _HREF.findall(html) if "/c/" in url]


def visit(
    client: FlaskClient, path: str, agent: str = CHROME, ip: str = HOME_IP, method: str = "GET"
) -> TestResponse:
    return client.open(
        path, method=method, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": ip}
    )


def engagement(rt: Runtime) -> list[tuple[str, str | None, str | None, str]]:
    """(type, step, classification, reason) of every open and click, in order."""
    with unit_of_work(rt.sessions) as session:
        rows = session.execute(
            select(Event.type, Event.step_id, Event.classification, Event.data)
            .where(Event.type.in_(["email_opened", "email_clicked"]))
            .order_by(Event.id)
        )
        return [
            (kind, step, cls, str((data or {}).get("reason"))) for kind, step, cls, data in rows
        ]


def count_events(rt: Runtime, *types: str) -> int:
    with unit_of_work(rt.sessions) as session:
        query = select(func.count()).select_from(Event).where(Event.type.in_(types))
        return int(session.scalar(query) or 0)
