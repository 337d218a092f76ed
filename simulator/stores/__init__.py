"""State behind store interfaces: the durable store (SQLite by default, Redis for several
workers or hosts) and leased background work."""
