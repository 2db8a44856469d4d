"""DuckDB -> the SQLite file: its tables (schema.py) and the atomic export (sqlite.py)."""
