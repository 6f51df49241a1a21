"""Lead scoring: `campaigns/scoring.yaml`, the pure score, and stored scores with ledgers.

`rules` (schema), `loader` (YAML, file:line), `compute` (the pure `score`), `stages`
(temperature, stage, hand-off readiness), `facts`/`store`/`service` (reading and writing a
batch), `recompute` and `maintenance` (every lead, each scheduler pass), `explain`.
"""
