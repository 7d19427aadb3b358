"""Reminders, automatic renewals and ends of subscriptions: the job cron runs on every host (R7, R8, O1)."""
