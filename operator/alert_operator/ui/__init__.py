"""The operator's web UI at ``/ui/``: see and (when enabled) steer the schedule.

Modules: :mod:`.routes` (the URLs and security headers, mounted at start), :mod:`.server` (the
sub-application, its pages built at the first request), :mod:`.app` (templates, request context),
:mod:`.catalog` (the alerts as listed: search, filter, sort, pages), :mod:`.queries` (database
and cluster reads), :mod:`.timeline` (runs due per minute as an SVG chart), :mod:`.views` (the
read-only pages), :mod:`.auth` and :mod:`.actions` (tokens, sessions, CSRF; pause, resume,
run-now, sync).
"""
