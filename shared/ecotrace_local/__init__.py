"""The embedded local stack: an Appwrite-compatible server on loopback backed by SQLite."""
