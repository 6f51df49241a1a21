"""Data-subject rights and retention: export, rectification, erasure (and its art. 19
notices to the recipients of the data), purge, the art. 30 record."""
