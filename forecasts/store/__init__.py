"""The store: the SQLite file, its migrations and faults, the ledger tables, their hash chain and published head."""
