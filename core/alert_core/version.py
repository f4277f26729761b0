"""The package version, single-sourced for the images, the chart and the CronJob labels."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

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


class VersionAction(argparse.Action):
    """argparse's ``--version`` reading the installed version only when it is asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> NoReturn:
        print(f"{parser.prog} {installed_version()}")
        parser.exit()
