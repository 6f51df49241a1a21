"""Leads delivered by email: three vendor formats parsed into lead fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.leads.fields import clean_lead
from nurture.leads.vendormail import VendorMailError, parse_vendor_mail, table_text

CORPUS = Path(__file__).resolve().parents[1] / "data" / "vendor_mails"


def parse(name: str) -> dict[str, object]:
    return parse_vendor_mail((CORPUS / name).read_bytes()).fields


def test_plain_text_vendor_with_a_multiline_comment_and_a_footer() -> None:
    """Key: value lines in English; the vendor's footer and greeting are not fields."""
    vendor = parse_vendor_mail((CORPUS / "leadzilla_plain.eml").read_bytes())
    assert vendor.fields == {
        "first_name": "Ana",
        "last_name": "García López",
        "email": "ana.garcia@cliente.example",
        "phone": "+34 611 222 333",
        "company": "Cliente Ejemplo S.L.",
        "job_title": "Directora de Marketing",
        "country": "ES",
        "company_size": "51-200",
        "attributes": {
            "Lead ID": "48213",
            "Campaign": "Marketing automation Q2",
            "Comments": "We are comparing tools for our\n"
            "nurture campaigns, please call after 16:00.",
            "Delivered at": "2026-04-14 10:02 UTC",
        },
    }
    assert vendor.sender == "noreply@leadzilla.example"
    assert vendor.reference() == (
        "vendor mail from noreply@leadzilla.example, <48213.1776160931@mailer.leadzilla.example>"
    )
    assert "Manage delivery settings" not in str(vendor.unparsed)


def test_html_only_form_service_with_a_spanish_table() -> None:
    """A two-column HTML table in Spanish: aliases, entities, a mailto link, accents."""
    assert parse("formulario_html.eml") == {
        "first_name": "Begoña",
        "last_name": "Muñoz Peña",
        "email": "begona.munoz@empresa.example",
        "phone": "+34 622 333 444",
        "company": "Empresa & Hijos",
        "industry": "Distribución",
        "attributes": {
            "¿Cómo nos conociste?": "Feria Lead Madrid",
            "Acepto la política de privacidad": "Sí",
        },
    }


def test_contact_form_with_equals_signs_full_name_and_reply_to() -> None:
    """`Key = value`, a full name split in two, and the address taken from Reply-To."""
    assert parse("contactform_multipart.eml") == {
        "first_name": "José",
        "last_name": "Ibáñez Castaño",
        "company": "Talleres Ibáñez",
        "country": "es",
        "locale": "es-ES",
        "email": "jose.ibanez@talleres.example",
        "attributes": {
            "Mensaje": "Buenos días, somos un taller con 12 empleados.\n"
            "Queremos automatizar el seguimiento de presupuestos."
        },
    }


@pytest.mark.parametrize(
    "name", ["leadzilla_plain.eml", "formulario_html.eml", "contactform_multipart.eml"]
)
def test_every_vendor_format_cleans_into_a_lead(name: str) -> None:
    """What the parser returns is valid input for the shared cleaning rules."""
    clean = clean_lead(parse(name))
    assert clean.email.endswith(".example")


def test_a_mail_without_a_lead_address_is_refused() -> None:
    """The vendor's own From address is never taken for the lead's."""
    with pytest.raises(VendorMailError, match="no lead address"):
        parse_vendor_mail((CORPUS / "no_address.eml").read_bytes())


def test_table_text_joins_cells_and_skips_styles() -> None:
    """Rows become `key: value` lines; head, style and script content is dropped."""
    html = (
        "<html><head><style>p{}</style></head><body><p>Hola</p><table>"
        "<tr><td>Email:</td><td> a@b.example </td></tr><tr><td>solo</td></tr></table>"
        "<script>x=1</script></body></html>"
    )
    assert table_text(html) == "Hola\nEmail: a@b.example\nsolo"
