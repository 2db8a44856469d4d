{% macro checked_list(value, pattern, what) %}
    {#- A comma-separated var as a list, every item matching `pattern` (so it is safe inside quotes). -#}
    {%- set items = [] -%}
    {%- for item in (value or '').replace(' ', ',').split(',') if item -%}
        {%- if not modules.re.match(pattern, item) -%}
            {{ exceptions.raise_compiler_error(what ~ ": '" ~ item ~ "' is not valid (expected " ~ pattern ~ ")") }}
        {%- endif -%}
        {%- do items.append(item) -%}
    {%- endfor -%}
    {{ return(items) }}
{% endmacro %}
