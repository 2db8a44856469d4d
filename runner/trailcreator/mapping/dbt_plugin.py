"""dbt-duckdb plugin: defines the jmespath function the compiled resource map calls on every DuckDB
connection dbt opens (``plugins: [{module: trailcreator.mapping.dbt_plugin}]`` in profiles.yml).

The SQL compiled from a map evaluates what it cannot express itself with the jmespath library
(:func:`trailcreator.mapping.jmespath_sql.register`), so a plain ``dbt build`` needs the function as much as
``trailcreator load`` does.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from .jmespath_sql import register


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        register(conn)
