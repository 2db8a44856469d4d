{% macro json_column(expr) %}
    {#- JSON: a record's JSON element (requestParameters, ...): JSON already on DuckDB, text parsed on Athena (null when not JSON). -#}
    {{ return(adapter.dispatch('json_column', 'trailcreator')(expr)) }}
{% endmacro %}

{% macro default__json_column(expr) %}{{ expr }}{% endmacro %}

{% macro athena__json_column(expr) %}try(json_parse({{ expr }})){% endmacro %}
