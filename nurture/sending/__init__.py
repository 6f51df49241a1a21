"""The send path: claim a message row, re-check consent, render, send, record."""
