{% macro extract_resource_ids(events) %}
    {#-
      One row per (event_id, resource_type, resource_id) found by the resource map's ids
      expressions in `events` (a relation with event_id, event_source, event_name and doc,
      the record's fields as one JSON value).  The per-engine forms are generated from the
      map by `trailcreator compile-map` into macros/generated/resource_map.sql.
    -#}
    {{ return(adapter.dispatch('extract_resource_ids', 'trailcreator')(events)) }}
{% endmacro %}
