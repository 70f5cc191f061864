"""The runtime layer: what runs. The appwrite.json functions in process (``context``, ``runner``, ``specs``),
their executions (``executions``, ``functions``), event triggers and schedules (``triggers``, ``event_names``),
and the realtime hub that fans row writes and finished executions out to subscribers (``realtime``). Built on
``storage/``; nothing here knows HTTP.
"""
