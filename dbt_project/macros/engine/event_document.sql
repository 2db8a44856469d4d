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
