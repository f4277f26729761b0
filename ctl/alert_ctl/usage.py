"""Usage errors as one line on stderr with a ``--help`` hint, wherever stderr goes.

click (and typer's rich box) print a usage line, a "Try" line and the error; scripts and log
collectors want one line, as every other alertctl error is (alert_ctl.common.fail).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer

# typer carries its own copy of click (typer._click): its errors are these, not click's.
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from alert_core.printable import visible
from alert_ctl.common import EXIT_FAILURE


def one_line(error: typer.TyperException, command_path: str) -> str:
    """``error: <what was wrong> (see 'alertctl status --help')``; ``command_path`` for an
    error that does not say which command it is about."""
    # pydantic (typer's value checks) puts "Value error, " into its messages.
    message = " ".join(error.format_message().replace("Value error, ", "").split())
    context = getattr(error, "ctx", None)
    if isinstance(error, UsageError):
        message += f" (see '{command_path if context is None else context.command_path} --help')"
    return visible(f"error: {message}")


class OneLineErrorsGroup(TyperGroup):
    """The app's group: click's parsing, our way of reporting its errors."""

    def main(  # type: ignore[override]  # click's signature, returning NoReturn when standalone
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        self._standalone(args, prog_name, complete_var, **extra)

    def _command_path(self, args: Sequence[str] | None, prog_name: str | None) -> str:
        words = list(sys.argv[1:] if args is None else args)
        program = prog_name or self.name or "alertctl"
        return f"{program} {words[0]}" if words and words[0] in self.commands else program

    def _standalone(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None,
        **extra: Any,
    ) -> NoReturn:
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except NoArgsIsHelpError as error:
            error.show()  # no arguments at all: the help is the answer
            sys.exit(error.exit_code)
        except typer.TyperException as error:
            typer.echo(one_line(error, self._command_path(args, prog_name)), err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(EXIT_FAILURE)
        sys.exit(code if isinstance(code, int) else 0)
