"""Reports for `nurture report` and the dashboard: campaign funnels and the lead file."""
