"""The operator's web UI at ``/ui/``: see and (when enabled) steer the schedule.

Modules: :mod:`.app` (the aiohttp application, its templates and security headers),
:mod:`.catalog` (the alerts as listed: search, filter, sort, pages), :mod:`.queries` (database
and cluster reads), :mod:`.timeline` (runs due per minute as an SVG chart), :mod:`.views` (the
read-only pages), :mod:`.auth` and :mod:`.actions` (tokens, sessions, CSRF; pause, resume,
run-now, sync).
"""
