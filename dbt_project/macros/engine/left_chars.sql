{% macro left_chars(expr, n) %}
    {#- The first `n` characters of `expr`. -#}
    {{ return(adapter.dispatch('left_chars', 'trailcreator')(expr, n)) }}
{% endmacro %}

{% macro duckdb__left_chars(expr, n) %}left({{ expr }}, {{ n }}){% endmacro %}

{% macro athena__left_chars(expr, n) %}substr({{ expr }}, 1, {{ n }}){% endmacro %}
