{#-
  One row per successful record of a mapped (eventSource, eventName) pair, or of a pair the
  links read, deduplicated by eventID.  On DuckDB the records come from the trail objects
  stg_cloudtrail__objects read (or a load-athena result); on Athena from the CloudTrail table
  the user already has.  The engine's spellings are the small macros in macros/cloudtrail/.
-#}
with records as (
    -- role-session credentials are the links' (stg_cloudtrail__role_sessions), not resource events
    {{ trailcreator.cloudtrail_records(role_sessions=false) }}
),

renamed as (
    select
        case when eventid is null then 'no-event-id:' || {{ trailcreator.md5_hex(trailcreator.record_fingerprint()) }}
             else eventid end as event_id,
        coalesce(recipientaccountid, {{ trailcreator.identity_field('accountId') }}) as account_id,
        awsregion as region,
        {{ trailcreator.parse_event_time('eventtime') }} as event_time,
        eventsource as event_source,
        eventname as event_name,
        useragent as user_agent,
        sourceipaddress as source_ip,
        {{ trailcreator.identity_columns() }},
        {{ trailcreator.json_column('requestparameters') }} as request_parameters,
        {{ trailcreator.json_column('responseelements') }} as response_elements,
        {{ trailcreator.json_column('additionaleventdata') }} as additional_event_data,
        {{ trailcreator.json_column('serviceeventdetails') }} as service_event_details,
        {{ trailcreator.resources_json('resources') }} as resources,
        object_key
    from records
),

ranked as (
    -- CloudTrail may deliver one event twice: same eventID
    select *, row_number() over (partition by event_id order by object_key) as delivery_rank
    from renamed
),

final as (
    select
        event_id, account_id, region, event_time, event_source, event_name, user_agent, source_ip,
        identity_type, principal_arn, principal_id, user_name, session_issuer_arn, session_issuer_name,
        on_behalf_of_user_id, invoked_by, access_key_id, source_identity, request_parameters, response_elements,
        additional_event_data, service_event_details, resources, object_key, session_name
    from ranked
    where delivery_rank = 1
)

select * from final
