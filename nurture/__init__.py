"""nurture: GDPR-aware email nurture and drip campaigns."""

__version__ = "0.1.0"
