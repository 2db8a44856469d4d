{% macro regexp_replace_all(expr, pattern, replacement) %}
    {#- Every match of `pattern` in `expr` replaced (pattern and replacement are SQL string literals). -#}
    {{ return(adapter.dispatch('regexp_replace_all', 'trailcreator')(expr, pattern, replacement)) }}
{% endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g'){% endmacro %}

{% macro athena__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}){% endmacro %}
