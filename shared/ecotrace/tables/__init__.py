"""The row codec: the one place that knows how each table stores domain objects.

One module per table: its ``NAME``, how a domain object becomes a row (``$id``, ``$permissions``, JSON-encoded
columns such as ``details`` or ``energy_breakdown``, datetimes in Appwrite's ISO form) and how a row reads back.
Services hand domain objects to these functions and pass the rows to the :class:`ecotrace.ports.Store`; no other
module builds or reads a row's format. ``permissions`` holds the permission strings every owned row carries.

Tables: ``activities``, ``calculations``, ``users``, ``user_stats``, ``leaderboards``, ``webhook_deliveries``
(``deliveries``). ``emission_factors`` rows are read and written by ``services/emission_factors.py`` alone.
"""
