{% macro checked_name(value, what) %}
    {#- A database or table name from a var: letters, digits and underscores only. -#}
    {%- if not modules.re.match('^[A-Za-z0-9_]+$', value or '') -%}
        {{ exceptions.raise_compiler_error(what ~ ": '" ~ value ~ "' is not valid: use letters, digits and underscores only") }}
    {%- endif -%}
{% endmacro %}
