"""Shared core of alert-operator: settings, database, frequencies and the desired CronJob."""
