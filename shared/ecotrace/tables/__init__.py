"""The row codec: the one place that knows how each table stores domain objects.

One module per table: its ``NAME``, how a domain object becomes a row (``$id``, ``$permissions``, JSON-encoded
columns such as ``details`` or ``energy_breakdown``, datetimes in Appwrite's ISO form) and how a row reads back.
Services hand domain objects to these functions and pass the rows to the :class:`ecotrace.ports.Store`; no other
module builds or reads a row's format. ``permissions`` holds the permission strings every owned row carries.

Tables: ``activities``, ``calculations``, ``users``, ``user_stats``, ``leaderboards``, ``webhook_deliveries``
(``deliveries``), ``rate_limits``, ``backfills``, ``intensity_history``, ``pr_summaries``. ``emission_factors`` rows
are read and written by ``services/emission_factors.py`` alone.

A module whose rows belong to one person declares ``USER_COLUMN``: the column holding that person's user id
(``$id`` for ``users``). A person's export and erasure (``ecotrace.services.personal_data``) find every such
table by iterating these modules (:func:`per_person_tables`), so a new per-person table is covered by declaring
it, with no other edit.
"""

from __future__ import annotations

import importlib
import pkgutil


def per_person_tables() -> dict[str, str]:
    """Table name -> the column holding the owner's user id, for every module here that declares ``USER_COLUMN``."""
    found: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        column = getattr(module, "USER_COLUMN", None)
        name = getattr(module, "NAME", None)
        if isinstance(column, str) and isinstance(name, str):
            found[name] = column
    return found
