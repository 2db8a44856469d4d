with objects as (
    select object_key, events
    from {{ ref('stg_cloudtrail__objects') }}
    where status = 'ok'
),

records as (
    select object_key, unnest(events) as r
    from objects
),

renamed as (
    select
        coalesce(r.eventID, 'no-event-id:' || md5(to_json(r)::varchar)) as event_id,
        coalesce(r.recipientAccountId, r.userIdentity ->> 'accountId') as account_id,
        r.awsRegion as region,
        coalesce(
            try_strptime(r.eventTime, '%Y-%m-%dT%H:%M:%SZ'),
            try_strptime(r.eventTime, '%Y-%m-%dT%H:%M:%S.%fZ'),
            try_cast(r.eventTime as timestamp)
        ) as event_time,
        r.eventSource as event_source,
        r.eventName as event_name,
        r.userAgent as user_agent,
        r.sourceIPAddress as source_ip,
        nullif(r.userIdentity ->> 'type', '') as identity_type,
        nullif(r.userIdentity ->> 'arn', '') as principal_arn,
        nullif(r.userIdentity ->> 'principalId', '') as principal_id,
        nullif(r.userIdentity ->> 'userName', '') as user_name,
        nullif(r.userIdentity -> 'sessionContext' -> 'sessionIssuer' ->> 'arn', '') as session_issuer_arn,
        nullif(r.userIdentity -> 'sessionContext' -> 'sessionIssuer' ->> 'userName', '') as session_issuer_name,
        nullif(r.userIdentity -> 'onBehalfOf' ->> 'userId', '') as on_behalf_of_user_id,
        nullif(r.userIdentity ->> 'invokedBy', '') as invoked_by,
        nullif(r.userIdentity ->> 'accessKeyId', '') as access_key_id,
        r.requestParameters as request_parameters,
        r.responseElements as response_elements,
        r.additionalEventData as additional_event_data,
        r.serviceEventDetails as service_event_details,
        r.resources as resources,
        object_key
    from records
),

with_session as (
    select *, {{ session_name_sql() }} as session_name
    from renamed
),

deduplicated as (
    -- CloudTrail may deliver one event twice: same eventID.
    select *
    from with_session
    qualify row_number() over (partition by event_id order by object_key) = 1
)

select * from deduplicated
