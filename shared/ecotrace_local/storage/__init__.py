"""The storage layer: the project's state and who may touch it.

The SQLite database (one file, WAL) with one table per Appwrite table (``database``, ``schema``, ``codec``),
Appwrite queries compiled to SQL (``queries``, ``select``; the only query evaluator of the stack), update
operators, row operations with their permission checks (``rowops``, ``rows``), transactions, users, the callers'
rights (``access``) and the keys and JWTs that identify them (``credentials``). Nothing here knows HTTP.
"""
