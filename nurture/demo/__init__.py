"""`nurture demo`: web, scheduler and worker in one process on the embedded defaults."""
