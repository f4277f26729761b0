"""Output helpers: rich tables on a terminal treat data as text, plain tables align."""

from __future__ import annotations

import io
import sys

import pytest

from alert_ctl import formatting
from alert_ctl.sync_cmd import PROGRESS_FROM, Progress


def test_terminal_table_does_not_interpret_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(formatting, "is_terminal", lambda: True)
    formatting.print_table(["NAME", "STATE"], [["[bold red]evil[/]", None]], title="[x] alerts")
    out = capsys.readouterr().out
    assert "[bold red]evil[/]" in out and "[x] alerts" in out
    assert "│" in out  # rich's box drawing


def test_plain_table_aligns_and_flattens(capsys: pytest.CaptureFixture[str]) -> None:
    formatting.print_table(["A", "LONGER"], [["x\ny", 1], ["wide value", None]])
    assert capsys.readouterr().out.splitlines() == [
        "A           LONGER",
        "x y         1",
        "wide value  -",
    ]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_sync_progress_bar_only_for_large_plans_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    small = Progress()
    small.start(PROGRESS_FROM - 1)
    small.advance()
    small.stop()
    assert terminal.getvalue() == ""

    large = Progress()
    large.start(PROGRESS_FROM)
    for _ in range(PROGRESS_FROM):
        large.advance()
    large.stop()
    assert "applying" in terminal.getvalue()

    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe: never a bar
    piped = Progress()
    piped.start(10_000)
    assert piped._bar is None
