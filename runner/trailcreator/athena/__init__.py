"""``trailcreator load-athena`` and ``export-athena``: Glue, the query, the Athena client (pipeline.py runs them)."""
