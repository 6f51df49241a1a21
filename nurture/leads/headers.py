"""Mapping spreadsheet headers to lead fields, in English and Spanish.

Marketers' files say `E-mail`, `Correo electrónico`, `Empresa`: headers are compared
after folding case, accents and punctuation. Unknown columns become attributes, keyed
by the header as written (trimmed).
"""

from __future__ import annotations

import re
import unicodedata

from nurture.models.lead import CONTRACT_FIELDS

ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "correo",
        "correo electronico",
        "direccion de correo",
        "courriel",
    ),
    "first_name": ("first name", "firstname", "given name", "name", "nombre", "forename"),
    "last_name": ("last name", "lastname", "surname", "family name", "apellido", "apellidos"),
    "phone": ("telephone", "tel", "phone number", "mobile", "telefono", "movil", "celular"),
    "company": ("company name", "organisation", "organization", "empresa", "compania", "account"),
    "job_title": ("title", "position", "role", "cargo", "puesto", "job"),
    "industry": ("sector", "industria", "vertical"),
    "company_size": (
        "employees",
        "size",
        "company employees",
        "tamano",
        "tamano empresa",
        "empleados",
    ),
    "website": ("web", "url", "site", "web site", "sitio web", "pagina web"),
    "country": ("country code", "pais", "nation"),
    "locale": ("language", "lang", "idioma", "lengua"),
    "timezone": ("time zone", "tz", "zona horaria", "huso horario"),
    "source": ("lead source", "fuente", "origen", "canal"),
    "tags": ("tag", "labels", "etiquetas", "etiqueta"),
}


def fold(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-.:/]+", " ", text).strip()


_LOOKUP = {fold(name): name for name in CONTRACT_FIELDS}
_LOOKUP.update({fold(alias): name for name, aliases in ALIASES.items() for alias in aliases})


def map_columns(headers: list[str]) -> list[str]:
    """The lead field (or attribute key) of each column, by position.

    When two columns map to one field, the first wins and the other stays an attribute
    keyed by its header: nothing a file carries is dropped. A column without a header
    becomes the attribute `column N` (1-based); a header seen before gets ` (2)`, ` (3)`…
    (else the later column's values would overwrite the earlier one's).
    """
    roles: list[str] = []
    taken: set[str] = set()
    for position, header in enumerate(headers, start=1):
        field = _LOOKUP.get(fold(header))
        if field is not None and field not in taken:
            role = field
        else:
            role = base = header.strip() or f"column {position}"
            copy = 1
            while role in taken:
                copy += 1
                role = f"{base} ({copy})"
        roles.append(role)
        taken.add(role)
    return roles


def map_headers(headers: list[str]) -> dict[str, str]:
    """Column header → lead field (or the header itself, for an attribute)."""
    return dict(zip(headers, map_columns(headers), strict=True))
