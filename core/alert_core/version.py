"""The package version, single-sourced for the images, the chart and the CronJob labels."""

__version__ = "0.1.0"
DISTRIBUTION = "alert-operator"


def installed_version() -> str:
    """The installed package's version (its metadata), else the source's: ``--version``.

    importlib.metadata is imported here, not at the top: the runner starts once per run."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree without installing
        return __version__
