"""Runner exit codes, shared with the CronJob's podFailurePolicy."""

SUCCESS = 0
RETRYABLE_FAILURE = 1
# Distinct from 1 (failure) and 2 (usage errors of most CLIs), and below the signal range
# (128+n), so that podFailurePolicy can fail the Job at once on exactly this code.
PERMANENT_ERROR = 3
