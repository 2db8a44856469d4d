"""The resource map: loaded, validated, and rendered into the dbt macros that extract resource ids."""
