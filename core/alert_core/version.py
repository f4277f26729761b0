"""The package version, single-sourced for the images, the chart and the CronJob labels."""

__version__ = "0.1.0"
