"""The drip engine's persistence side: campaign state, enrolment, planning, recovery.

The pure decisions live in `nurture.scheduling`; this package reads the rows they need in
batches, applies the decisions, and returns message ids for the caller to enqueue after
commit.
"""
