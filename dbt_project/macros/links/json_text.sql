{% macro json_text(expr) %}
    {#- VARCHAR: the JSON value `expr` as text. -#}
    {{ return(adapter.dispatch('json_text', 'trailcreator')(expr)) }}
{% endmacro %}

{% macro duckdb__json_text(expr) %}cast({{ expr }} as varchar){% endmacro %}

{% macro athena__json_text(expr) %}json_format({{ expr }}){% endmacro %}
