{% macro parse_event_time(expr) %}
    {#- TIMESTAMP: CloudTrail's eventTime text (2024-05-01T09:00:00Z, with or without fractions); null when unusable. -#}
    {{ return(adapter.dispatch('parse_event_time', 'trailcreator')(expr)) }}
{% endmacro %}

{% macro duckdb__parse_event_time(expr) -%}
    coalesce(
            try_strptime({{ expr }}, '%Y-%m-%dT%H:%M:%SZ'),
            try_strptime({{ expr }}, '%Y-%m-%dT%H:%M:%S.%fZ'),
            try_cast({{ expr }} as timestamp)
        )
{%- endmacro %}

{% macro athena__parse_event_time(expr) -%}
    coalesce(
            try(date_parse({{ expr }}, '%Y-%m-%dT%H:%i:%sZ')),
            try(date_parse({{ expr }}, '%Y-%m-%dT%H:%i:%s.%fZ')),
            {#- '2024-04-02 16:46:24[.fraction]', as DuckDB's cast reads it (precision 3, as Athena's) -#}
            try(cast({{ expr }} as timestamp(3)))
        )
{%- endmacro %}
