{% macro regexp_full_match(expr, pattern) %}
    {#- BOOLEAN: the whole of `expr` matches `pattern` (a regular expression, given as text, not SQL). -#}
    {%- if pattern is not string -%}
        {{ exceptions.raise_compiler_error("regexp_full_match: pattern must be the text of a regular expression") }}
    {%- endif -%}
    {{ return(adapter.dispatch('regexp_full_match', 'trailcreator')(expr, pattern)) }}
{% endmacro %}

{% macro duckdb__regexp_full_match(expr, pattern) %}regexp_full_match({{ expr }}, '{{ pattern | replace("'", "''") }}'){% endmacro %}

{% macro athena__regexp_full_match(expr, pattern) %}regexp_like({{ expr }}, '^(?:{{ pattern | replace("'", "''") }})$'){% endmacro %}
