"""Advice that cuts CI emissions, from stored activities: time shifting for scheduled workflows (from the hourly
intensity history), runner choice and cleaner regions (from the carbon method). Every figure names the activities,
intensities and assumptions it comes from; without enough history the answer says so instead of guessing.

Modules: ``work`` (a repository's CI rows in a period, grouped), ``time_shift``, ``runners``, ``service`` (the
action: request, callers, assembly).
"""
