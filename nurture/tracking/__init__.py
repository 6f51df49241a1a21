"""Open and click tracking: signed pixel and redirect links in marketing mail, a crash-safe
hit buffer between the web process and the database, and engagement classification."""
