"""What the dashboard (`/admin`) reads and does that no other service offers yet.

Everything else it shows comes from the services that own it: funnels and lead
breakdowns from `nurture.reports`, previews from `nurture.sending.preview`, the score
ledger from `nurture.scoring.explain`, a lead's record from `nurture.gdpr.export`, sales
actions from `nurture.handoff`. No Flask here: the views in `nurture.web.admin` call these.
"""
