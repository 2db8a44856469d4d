{% macro follow_links() %}
    {#- BOOLEAN (Jinja): follow links (var follow_links or TRAILCREATOR_FOLLOW_LINKS; default true). -#}
    {%- set value = var('follow_links', env_var('TRAILCREATOR_FOLLOW_LINKS', 'true')) -%}
    {%- set text = (value | string).strip().lower() -%}
    {%- if text in ['true', '1', 'yes', 'on', ''] -%}
        {{ return(true) }}
    {%- elif text in ['false', '0', 'no', 'off'] -%}
        {{ return(false) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("follow_links '" ~ value ~ "' is not true or false: set the var or TRAILCREATOR_FOLLOW_LINKS to true or false") }}
{% endmacro %}
