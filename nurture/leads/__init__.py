"""The prospect file: identity, normalisation, capture and behaviour events."""
