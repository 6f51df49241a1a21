"""Campaign definitions: the YAML format, its loader and validation."""
