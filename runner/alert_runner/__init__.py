"""The runner: the program inside each CronJob's pod. Runs one alert once, then exits.

Imports neither kopf nor a Kubernetes client nor SQLAlchemy nor pydantic: it starts once per run.
"""
