"""Consent: the append-only ledger, suppression, and signed links."""
