{% macro instances_launched(events) %}
    {#- One row per (event_id, instance_id) of the RunInstances events in `events` (a relation with event_id, response_elements). -#}
    {{ return(adapter.dispatch('instances_launched', 'trailcreator')(events)) }}
{% endmacro %}

{% macro duckdb__instances_launched(events) %}
    select event_id, unnest(json_extract_string(response_elements, '$.instancesSet.items[*].instanceId')) as instance_id
    from {{ events }}
{% endmacro %}

{% macro athena__instances_launched(events) %}
    select event_id, json_extract_scalar(item, '$.instanceId') as instance_id
    from {{ events }}
    cross join unnest(coalesce(try_cast(json_extract(response_elements, '$.instancesSet.items') as array(json)), array[])) as t (item)
{% endmacro %}
