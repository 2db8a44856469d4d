{% macro json_scalar(expr, path) %}
    {#- VARCHAR: the scalar at JSONPath `path` ('$.a.b', text, not SQL) of the JSON value `expr`; null when absent. -#}
    {%- if not modules.re.match('^\\$(\\.[A-Za-z0-9_]+)+$', path) -%}
        {{ exceptions.raise_compiler_error("json_scalar: path '" ~ path ~ "' must look like $.name.name") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_scalar', 'trailcreator')(expr, path)) }}
{% endmacro %}

{% macro duckdb__json_scalar(expr, path) %}nullif(json_extract_string({{ expr }}, '{{ path }}'), ''){% endmacro %}

{% macro athena__json_scalar(expr, path) %}nullif(json_extract_scalar({{ expr }}, '{{ path }}'), ''){% endmacro %}
