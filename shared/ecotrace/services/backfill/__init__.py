"""Backfill: the last N days of a repository's or organisation's GitHub activity, imported from the REST API
through the webhook's extraction and carbon path, in resumable slices.

Modules: ``rest_events`` (REST objects -> the deliveries they correspond to, read by ``domain.github.extract``),
``runner`` (one slice: lease, units of work, GitHub's limits, the cursor), ``start`` (who may start one, for
which repositories, and the first slice).
"""
