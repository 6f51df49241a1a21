"""Hand-off of ready leads to sales, configured in `scoring.yaml` under `handoff`.

`routing` (pure rep choice), `start` (hand-offs created by score updates), `pool` (claim,
accept, reject), `sla` (speed-to-lead recall), `withdraw` (the person restricts or
objects: sales lets go), `corrections` (the CRM gets a rectification, art. 19),
`deliveries`/`deliver` (owner email and signed CRM webhook, with retries and a log),
`listing` (what sales looks at).
"""
