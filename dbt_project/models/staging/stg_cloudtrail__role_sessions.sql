{#-
  One row per successful STS call that issued role-session credentials, deduplicated by
  eventID: the issued access key, the role and session asked for, and the caller's identity
  (the next identity of a role chain).  Engine spellings: macros/cloudtrail/.
-#}
with records as (
    {{ trailcreator.cloudtrail_records(role_sessions=true) }}
),

renamed as (
    select
        case when eventid is null
             then 'no-event-id:' || {{ trailcreator.md5_hex("coalesce(cast(responseelements as varchar), '')") }}
             else eventid end as event_id,
        coalesce(recipientaccountid, {{ trailcreator.identity_field('accountId') }}) as account_id,
        awsregion as region,
        {{ trailcreator.parse_event_time('eventtime') }} as event_time,
        eventname as event_name,
        {{ trailcreator.json_scalar('responseelements', '$.credentials.accessKeyId') }} as issued_access_key_id,
        {{ trailcreator.json_scalar('requestparameters', '$.roleArn') }} as role_arn,
        {{ trailcreator.json_scalar('requestparameters', '$.roleSessionName') }} as role_session_name,
        {{ trailcreator.identity_columns() }},
        object_key
    from records
),

ranked as (
    -- CloudTrail may deliver one event twice: same eventID
    select *, row_number() over (partition by event_id order by object_key) as delivery_rank
    from renamed
    where issued_access_key_id is not null
),

final as (
    select
        event_id, account_id, region, event_time, event_name, issued_access_key_id, role_arn, role_session_name,
        identity_type, principal_arn, principal_id, user_name, session_issuer_arn, session_issuer_name,
        on_behalf_of_user_id, invoked_by, access_key_id, source_identity, object_key, session_name
    from ranked
    where delivery_rank = 1
)

select * from final
