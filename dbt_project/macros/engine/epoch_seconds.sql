{% macro epoch_seconds(ts) %}
    {#- Seconds since 1970 of the timestamp `ts`, for ordering. -#}
    {{ return(adapter.dispatch('epoch_seconds', 'trailcreator')(ts)) }}
{% endmacro %}

{% macro duckdb__epoch_seconds(ts) %}epoch({{ ts }}){% endmacro %}

{% macro athena__epoch_seconds(ts) %}to_unixtime({{ ts }}){% endmacro %}
