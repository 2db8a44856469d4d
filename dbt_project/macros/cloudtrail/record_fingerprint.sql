{% macro record_fingerprint() %}
    {#- VARCHAR: text standing for a whole record (the raw record columns in scope), to name a record CloudTrail gave no eventID. -#}
    {{ return(adapter.dispatch('record_fingerprint', 'trailcreator')()) }}
{% endmacro %}

{% macro duckdb__record_fingerprint() -%}
    {#- the record as CloudTrail wrote it, as JSON -#}
    to_json(struct_pack(
            {%- for name in ['eventVersion', 'eventID', 'eventTime', 'eventSource', 'eventName', 'awsRegion',
                             'recipientAccountId', 'userAgent', 'sourceIPAddress', 'errorCode', 'userIdentity',
                             'requestParameters', 'responseElements', 'additionalEventData', 'serviceEventDetails',
                             'resources'] %}
            "{{ name }}" := {{ name | lower }}{{ ',' if not loop.last }}
            {%- endfor %}
        ))::varchar
{%- endmacro %}

{% macro athena__record_fingerprint() -%}
    concat_ws('|', eventtime, eventsource, eventname, useridentity.arn, requestparameters, responseelements)
{%- endmacro %}
