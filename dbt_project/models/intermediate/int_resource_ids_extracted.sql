with events as (
    select
        event_id,
        event_source,
        event_name,
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
        ) as doc
    from {{ ref('stg_cloudtrail__events') }}
),

extracted as (
    {{ extract_resource_ids('events') }}
),

distinct_ids as (
    select distinct event_id, resource_type, resource_id
    from extracted
    where resource_id is not null and resource_id <> ''
)

select * from distinct_ids
