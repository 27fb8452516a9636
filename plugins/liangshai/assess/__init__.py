"""Assess: Dataset → statuses, red flags, ledger states and every metric, as of a date."""
