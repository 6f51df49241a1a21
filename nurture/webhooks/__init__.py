"""Outgoing webhooks: marketers subscribe URLs to lead events; signed, retried, logged.

Signing and the HTTP client are shared with the CRM hand-off (`nurture.handoff.webhook`:
HMAC-SHA256 over "<timestamp>.<body>", `X-Nurture-Signature`/`-Timestamp`/`-Delivery`/
`-Event`). `events` maps behaviour events to webhook types, `subscriptions` manages the
table, `dispatch` turns new events into delivery rows each scheduler pass, `deliver`
posts one delivery (the Dramatiq actor's work).
"""
