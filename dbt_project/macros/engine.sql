{#-
  Small SQL spellings that differ between DuckDB and Athena (Trino).  Each public macro only
  dispatches; the models and the creator rules call these instead of engine functions.
-#}

{% macro str_contains(haystack, needle) %}
    {#- BOOLEAN: `needle` occurs in the string `haystack` (both SQL expressions). -#}
    {{ return(adapter.dispatch('str_contains', 'trailcreator')(haystack, needle)) }}
{% endmacro %}
{% macro duckdb__str_contains(haystack, needle) %}contains({{ haystack }}, {{ needle }}){% endmacro %}
{% macro athena__str_contains(haystack, needle) %}(strpos({{ haystack }}, {{ needle }}) > 0){% endmacro %}

{% macro regexp_full_match(expr, pattern) %}
    {#- BOOLEAN: the whole of `expr` matches `pattern` (a regular expression, given as text, not SQL). -#}
    {%- if pattern is not string -%}
        {{ exceptions.raise_compiler_error("regexp_full_match: pattern must be the text of a regular expression") }}
    {%- endif -%}
    {{ return(adapter.dispatch('regexp_full_match', 'trailcreator')(expr, pattern)) }}
{% endmacro %}
{% macro duckdb__regexp_full_match(expr, pattern) %}regexp_full_match({{ expr }}, '{{ pattern | replace("'", "''") }}'){% endmacro %}
{% macro athena__regexp_full_match(expr, pattern) %}regexp_like({{ expr }}, '^(?:{{ pattern | replace("'", "''") }})$'){% endmacro %}

{% macro left_chars(expr, n) %}
    {#- The first `n` characters of `expr`. -#}
    {{ return(adapter.dispatch('left_chars', 'trailcreator')(expr, n)) }}
{% endmacro %}
{% macro duckdb__left_chars(expr, n) %}left({{ expr }}, {{ n }}){% endmacro %}
{% macro athena__left_chars(expr, n) %}substr({{ expr }}, 1, {{ n }}){% endmacro %}

{% macro regexp_replace_all(expr, pattern, replacement) %}
    {#- Every match of `pattern` in `expr` replaced (pattern and replacement are SQL string literals). -#}
    {{ return(adapter.dispatch('regexp_replace_all', 'trailcreator')(expr, pattern, replacement)) }}
{% endmacro %}
{% macro duckdb__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g'){% endmacro %}
{% macro athena__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}){% endmacro %}

{% macro epoch_seconds(ts) %}
    {#- Seconds since 1970 of the timestamp `ts`, for ordering. -#}
    {{ return(adapter.dispatch('epoch_seconds', 'trailcreator')(ts)) }}
{% endmacro %}
{% macro duckdb__epoch_seconds(ts) %}epoch({{ ts }}){% endmacro %}
{% macro athena__epoch_seconds(ts) %}to_unixtime({{ ts }}){% endmacro %}

{% macro event_document() %}
    {#- One JSON value holding the record fields an ids expression may name (stg_cloudtrail__events columns in scope). -#}
    {{ return(adapter.dispatch('event_document', 'trailcreator')()) }}
{% endmacro %}
{% macro duckdb__event_document() %}
        json_object(
            'eventSource', event_source,
            'eventName', event_name,
            'awsRegion', region,
            'recipientAccountId', account_id,
            'requestParameters', request_parameters,
            'responseElements', response_elements,
            'additionalEventData', additional_event_data,
            'serviceEventDetails', service_event_details,
            'resources', resources
        )
{%- endmacro %}
{% macro athena__event_document() %}
        cast(map(
            array['eventSource', 'eventName', 'awsRegion', 'recipientAccountId', 'requestParameters',
                  'responseElements', 'additionalEventData', 'serviceEventDetails', 'resources'],
            array[cast(event_source as json), cast(event_name as json), cast(region as json), cast(account_id as json),
                  request_parameters, response_elements, additional_event_data, service_event_details, resources]
        ) as json)
{%- endmacro %}
