"""Data-subject rights and retention: export, rectification, erasure, purge, art. 30."""
