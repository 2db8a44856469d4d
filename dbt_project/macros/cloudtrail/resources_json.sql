{% macro resources_json(expr) %}
    {#- JSON: the record's resources element, [{"ARN", "accountId", "type"}, ...]; an array of structs on Athena. -#}
    {{ return(adapter.dispatch('resources_json', 'trailcreator')(expr)) }}
{% endmacro %}

{% macro default__resources_json(expr) %}{{ expr }}{% endmacro %}

{% macro athena__resources_json(expr) -%}
    cast(transform({{ expr }}, r -> map(array['ARN', 'accountId', 'type'], array[r.arn, r.accountid, r.type])) as json)
{%- endmacro %}
