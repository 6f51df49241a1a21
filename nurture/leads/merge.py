"""Merging incoming lead data into what is known: one rule for every capture channel.

Pure. Non-empty incoming values win and a missing value never erases one; tags and
attributes accumulate. The source is the exception: the first touch wins, because
reports attribute conversions to the channel that brought the lead in. Applying rows
one by one or combining them first gives the same lead, which is what lets the importer
merge a file's duplicates before it writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nurture.leads.fields import CleanLead
from nurture.models.lead import IDENTITY_FIELDS

# The lead columns an import, the API or a vendor mail may change.
MERGED_COLUMNS = (*IDENTITY_FIELDS, "tags", "attributes")


def combine(earlier: CleanLead, later: CleanLead) -> CleanLead:
    """Two captures of one address as one, as if `earlier` had been applied first."""
    fields = {**earlier.fields, **later.fields}
    if "source" in earlier.fields:
        fields["source"] = earlier.fields["source"]
    tags = earlier.tags + [tag for tag in later.tags if tag not in earlier.tags]
    return CleanLead(earlier.email, fields, {**earlier.attributes, **later.attributes}, tags)


def changes(current: Mapping[str, Any], clean: CleanLead) -> dict[str, Any]:
    """The columns of a known lead (`current`: column → value) that `clean` changes."""
    changed: dict[str, Any] = {}
    for name, value in clean.fields.items():
        if name == "source" and current.get("source"):
            continue
        if current.get(name) != value:
            changed[name] = value
    tags = list(current.get("tags") or [])
    new_tags = [tag for tag in clean.tags if tag not in tags]
    if new_tags:
        changed["tags"] = tags + new_tags
    attributes = dict(current.get("attributes") or {})
    if any(attributes.get(key) != value for key, value in clean.attributes.items()):
        changed["attributes"] = {**attributes, **clean.attributes}
    return changed


def new_lead_values(clean: CleanLead, default_source: str | None) -> dict[str, Any]:
    """Every merged column of a lead created from `clean` (absent fields are None)."""
    values: dict[str, Any] = {name: clean.fields.get(name) for name in IDENTITY_FIELDS}
    values["source"] = values["source"] or default_source
    values["tags"] = list(clean.tags)
    values["attributes"] = dict(clean.attributes)
    return values
