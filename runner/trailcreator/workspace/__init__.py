"""dbt for one DuckDB file: its workspace, dbt run in process, and the output paths checked first."""
