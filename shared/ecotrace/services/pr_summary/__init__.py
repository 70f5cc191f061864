"""One carbon summary per pull request (a commit status on its head commit, or one comment edited in place), kept
up to date after each delivery that records CI work. Off unless configured; never blocks or fails a delivery.

Modules: ``figures`` (the pull request's CI carbon from stored rows, and its renderings), ``poster`` (the
ingest's ``after_commit`` hook: finding the pull requests, posting only what changed).
"""
