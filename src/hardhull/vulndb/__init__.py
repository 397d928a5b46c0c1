"""The local vulnerability database: SQLite store, importers, updates, enrichment."""
