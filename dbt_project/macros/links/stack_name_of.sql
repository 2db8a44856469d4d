{% macro stack_name_of(expr) %}
    {#- VARCHAR: the stack name in a stack id (arn:...:stack/<name>/<guid>), or `expr` itself when it is a name. -#}
    case when {{ expr }} like 'arn:%' then nullif(regexp_extract({{ expr }}, ':stack/([^/]+)', 1), '') else {{ expr }} end
{% endmacro %}
