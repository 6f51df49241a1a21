"""Transactional mail: double opt-in, fresh links, address confirmation.

Never marketing: no `List-Unsubscribe`, no campaign content, `Auto-Submitted:
auto-generated` (RFC 3834, so auto-responders stay quiet), From = `NURTURE_FROM`. The row
names a template under ``templates/transactional/`` and carries only what the template
cannot look up; links are minted here, at send time, so no token is ever stored.
Templates render in the same sandbox as campaign mail, with autoescaping for HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from nurture.campaigns.purposes import Purposes
from nurture.i18n import choose, translator
from nurture.leads.notices import ART14_NOTICE, notice_context
from nurture.links import Links
from nurture.mail.message import OutgoingMail, domain_of
from nurture.mail.render import TemplateError
from nurture.mail.sandbox import TemplateSandbox, make_environment
from nurture.models import Lead, Message
from nurture.prospects.mailing import CONFIRM_ADDRESS, CONFIRM_SUBSCRIPTION, FRESH_LINK

SUBJECTS = {
    CONFIRM_SUBSCRIPTION: "mail.confirm.subject",
    FRESH_LINK: "mail.fresh.subject",
    CONFIRM_ADDRESS: "mail.address.subject",
    ART14_NOTICE: "mail.art14.subject",  # nurture.leads.notices
}


@dataclass
class TransactionalComposer:
    templates_dir: Path
    links: Links
    sender: str  # NURTURE_FROM
    brand_name: str
    brand_color: str
    confirm_days: int
    purposes: Callable[[], Purposes | None]

    @cached_property
    def _environment(self) -> TemplateSandbox:
        return make_environment(self.templates_dir)

    def compose(self, row: Message, lead: Lead, now: datetime) -> OutgoingMail:
        template = row.template or ""
        if template not in SUBJECTS:
            raise TemplateError(f"unknown transactional template {template!r}", template)
        data = dict(row.context or {})
        locale = choose(data.get("locale"), [lead.locale or ""])
        context = {**self._links(template, lead, data, locale), **self._common(locale)}
        try:
            html = self._environment.get_template(f"{template}.html").render(context)
            text = self._environment.get_template(f"{template}.txt").render(context)
        except jinja2.TemplateError as error:  # a broken template fails the row, visibly
            raise TemplateError(f"{type(error).__name__}: {error}", template) from error
        return OutgoingMail(
            sender=self.sender,
            to=str(data.get("to") or lead.email),
            subject=context["_"](SUBJECTS[template], brand=self.brand_name),
            html=html,
            text=text,
            message_id=f"<{row.public_id}@{domain_of(parseaddr(self.sender)[1])}>",
            date=now,
            extra_headers={"Auto-Submitted": "auto-generated"},
        )

    def _common(self, locale: str) -> dict[str, Any]:
        return {
            "_": translator(locale),
            "lang": locale,
            "brand": {"name": self.brand_name, "color": self.brand_color},
            "confirm_days": self.confirm_days,
        }

    def _links(
        self, template: str, lead: Lead, data: dict[str, Any], locale: str
    ) -> dict[str, Any]:
        if template == CONFIRM_SUBSCRIPTION:
            chosen = [str(p) for p in data.get("purposes", [])]
            purposes = self.purposes()
            titles = [
                purposes.title(p, locale) if purposes and p in purposes else p for p in chosen
            ]
            return {"confirm_url": self.links.confirm(lead.public_id, chosen), "titles": titles}
        if template == CONFIRM_ADDRESS:
            return {"confirm_url": self.links.address(str(data.get("change")))}
        if template == ART14_NOTICE:
            return notice_context(self.links, lead, data, self.purposes(), locale)
        return {
            "preferences_url": self.links.preferences(lead.public_id),
            "my_data_url": self.links.my_data(lead.public_id),
        }
