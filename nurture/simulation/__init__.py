"""`nurture simulate`: a campaign on a virtual clock, against synthetic or real leads.

`population` makes the leads, `engagement` the assumed reactions to each mail, `run` the
event-driven clock that applies the engine's own pure decision (`scheduling.decide`),
and `outcome` the counts, the per-day timeline and their rendering. Nothing is sent and
nothing is written.
"""
