"""Tables: aligned, fitted to a terminal without cutting ids, data shown as text."""

from __future__ import annotations

import io
import sys

import pytest
from rich.cells import cell_len

from alert_ctl import tables
from alert_ctl.sync_cmd import PROGRESS_FROM, Progress


def test_terminal_table_shows_markup_as_text_with_its_title(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tables, "is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    tables.print_table(["NAME", "STATE"], [["[bold red]evil[/]", None]], title="[x] alerts")
    assert capsys.readouterr().out.splitlines() == [
        "[x] alerts",
        "NAME               STATE",
        "[bold red]evil[/]  -",
    ]


def test_plain_table_aligns_and_flattens(capsys: pytest.CaptureFixture[str]) -> None:
    tables.print_table(["A", "LONGER"], [["x\ny", 1], ["wide value", None]], title="not shown")
    assert capsys.readouterr().out.splitlines() == [
        "A           LONGER",
        "x y         1",
        "wide value  -",
    ]
    tables.print_table(["A", "LONGER"], [["x", 1]], headers=False)
    assert capsys.readouterr().out.splitlines() == ["x  1"]


ID = "f4533140-96fe-46cf-aa3e-d2308a4e7178"


def test_fitted_table_cuts_the_widest_cells_never_the_ids() -> None:
    columns = [tables.Column("ID", keep=True), tables.Column("NAME"), tables.Column("ERROR")]
    rows = [[ID, "n" * 30, "e" * 200], [ID.replace("f", "a"), "東京" * 20, None]]
    lines = tables.render_table(columns, rows, width=100)
    assert max(cell_len(line) for line in lines) == 100
    assert [line.split()[0] for line in lines] == ["ID", ID, ID.replace("f", "a")]
    assert lines[1].endswith("e…") and "n" * 30 in lines[1]  # the widest column was cut
    # Too narrow even for the ids: they stay whole, the others keep their header's width.
    narrow = tables.render_table(columns, rows, width=20)
    assert narrow[1].startswith(ID + "  nnn…  eeee…")
    assert tables.render_table(columns, rows) == tables.render_table(columns, rows, width=10**4)


def test_short_ids_are_8_characters_or_as_long_as_unique() -> None:
    ids = [ID, "f4533140-96fe-46cf-aa3e-000000000000", "f4533141-0000-4000-8000-000000000000",
           "0a000000-0000-4000-8000-000000000000"]
    assert tables.short_ids(ids) == {
        ID: "f4533140-96fe-46cf-aa3e-d",
        "f4533140-96fe-46cf-aa3e-000000000000": "f4533140-96fe-46cf-aa3e-0",
        "f4533141-0000-4000-8000-000000000000": "f4533141",
        "0a000000-0000-4000-8000-000000000000": "0a000000",
    }
    # Nine shared characters: never a prefix ending in "-".
    assert tables.short_ids(["f4533140-1", "f4533140-2"]) == {
        "f4533140-1": "f4533140-1", "f4533140-2": "f4533140-2"}
    assert tables.short_ids([]) == {}


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
