"""Settings for the whole suite."""

from hypothesis import settings

# Hypothesis' default 200 ms deadline per example is a timed assertion: on a shared 2-core machine a property
# test fails for being slow, not wrong (seen in test_event_names under load). Examples are still bounded by the
# suite's per-test timeout (pyproject.toml).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")
