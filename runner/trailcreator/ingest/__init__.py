"""Reading CloudTrail (a trail's objects, or an Athena result) into the DuckDB file's ingest tables."""
