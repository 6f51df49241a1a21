"""What tracking adds to a rendered marketing mail: rewritten links, a pixel, a honeypot.

The renderer rewrites the links (`link_rewriter`), skipping the unsubscribe, preference
and my-data links and anything that is not http(s); `finish` then appends, before
``</body>``, the hidden honeypot link and the open pixel. Both are added after the text
part was derived, so the text part shows neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from nurture.tracking.links import AggregateRef, MessageRef, Ref, TrackingLinks, safe_target

# Takes no room: 1×1, no border or spacing; `alt=""` so nothing shows when images are off.
_PIXEL = (
    '<img src="{url}" width="1" height="1" alt="" border="0" style="display:block;'
    'width:1px;height:1px;max-width:1px;max-height:1px;border:0;margin:0;padding:0;">'
)
# Invisible to people, their screen readers and keyboards; scanners follow every href.
_HONEYPOT = (
    '<div style="display:none;max-height:0;max-width:0;overflow:hidden;font-size:0;'
    'line-height:0;mso-hide:all;" aria-hidden="true"><a href="{url}" tabindex="-1" '
    'aria-hidden="true" style="display:none;font-size:0;line-height:0;color:transparent;'
    'text-decoration:none;">&#8203;</a></div>'
)


@dataclass(frozen=True)
class MailTracking:
    """How one mail is tracked: `personal` (the lead allowed it), aggregate, or not at all."""

    personal: bool = False
    rewrite_link: Callable[[str], str] | None = None
    pixel_url: str | None = None
    honeypot_url: str | None = None

    def finish(self, html: str) -> str:
        extra = ""
        if self.honeypot_url:
            extra += _HONEYPOT.format(url=escape(self.honeypot_url, quote=True))
        if self.pixel_url:
            extra += _PIXEL.format(url=escape(self.pixel_url, quote=True))
        return _before_body_end(html, extra) if extra else html


UNTRACKED = MailTracking()


def personal(links: TrackingLinks, message_public_id: str) -> MailTracking:
    ref = MessageRef(message_public_id)
    return MailTracking(
        personal=True,
        rewrite_link=_rewriter(links, ref),
        pixel_url=links.pixel(ref),
        honeypot_url=links.honeypot(message_public_id),
    )


def aggregate(links: TrackingLinks, campaign_id: str, step_id: str) -> MailTracking:
    ref = AggregateRef(campaign_id, step_id)
    return MailTracking(rewrite_link=_rewriter(links, ref), pixel_url=links.pixel(ref))


def _rewriter(links: TrackingLinks, ref: Ref) -> Callable[[str], str]:
    def rewrite(url: str) -> str:
        # A URL the redirect would refuse (spaces, non-ASCII, a relative link) stays as
        # written: the link keeps working, it is just not counted.
        return links.click(ref, url) if safe_target(url) else url

    return rewrite


def _before_body_end(html: str, extra: str) -> str:
    end = html.lower().rfind("</body>")
    return html + extra if end < 0 else html[:end] + extra + html[end:]
