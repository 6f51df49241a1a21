"""E-mail: render a step for a lead, build the MIME bytes, hand them to a transport.

``render`` (sandboxed Jinja2, CSS inlining, text part, standard footer) →
``message.build_mime`` (hand-built, standards-checked bytes) → ``transport`` (SMTP with
per-thread connections, or the outbox folder).
"""

from nurture.mail.context import sample_context, template_context
from nurture.mail.errors import (
    HardBounce,
    HeaderInjectionError,
    PermanentSendError,
    PolicyRejection,
    SendError,
    TransientSendError,
)
from nurture.mail.headers import check_header_text, domain_of
from nurture.mail.message import OutgoingMail, build_mime
from nurture.mail.render import RenderedMail, Renderer, TemplateError
from nurture.mail.transport import (
    OutboxTransport,
    SmtpTransport,
    Transport,
    transport_from_url,
)

__all__ = [
    "HardBounce",
    "HeaderInjectionError",
    "OutboxTransport",
    "OutgoingMail",
    "PermanentSendError",
    "PolicyRejection",
    "RenderedMail",
    "Renderer",
    "SendError",
    "SmtpTransport",
    "TemplateError",
    "TransientSendError",
    "Transport",
    "build_mime",
    "check_header_text",
    "domain_of",
    "sample_context",
    "template_context",
    "transport_from_url",
]
