"""Cross-check alert_core.schedule against robfig/cron v3 itself (what Kubernetes runs).

Not part of the test suite (it needs a Go toolchain); run it after touching schedule.py:

    apt-get install golang-go golang-github-robfig-cron-dev     # Debian: robfig v3.0.1
    .venv/bin/python -m devtools.robfig_check [CASES] [SEED]

It builds main.go against Debian's copy of robfig/cron (no network), then compares, for random
schedules, zones and start times near DST changes, the next five fire times of our port with
robfig's ``Next``, and which random expressions each parser accepts.
"""
