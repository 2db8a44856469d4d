"""The dbt project, shipped inside the trailcreator package as data.

trailcreator never runs dbt here: each DuckDB file gets a workspace holding a copy of this
folder, its compiled resource map and dbt's target/ and logs/ (trailcreator.workspace).
"""
