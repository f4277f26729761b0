"""The alert-operator: reconciles the alerts table into CronJobs (kopf)."""
