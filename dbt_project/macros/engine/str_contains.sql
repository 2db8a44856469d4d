{% macro str_contains(haystack, needle) %}
    {#- BOOLEAN: `needle` occurs in the string `haystack` (both SQL expressions). -#}
    {{ return(adapter.dispatch('str_contains', 'trailcreator')(haystack, needle)) }}
{% endmacro %}

{% macro duckdb__str_contains(haystack, needle) %}contains({{ haystack }}, {{ needle }}){% endmacro %}

{% macro athena__str_contains(haystack, needle) %}(strpos({{ haystack }}, {{ needle }}) > 0){% endmacro %}
