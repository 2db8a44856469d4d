{#- One row per resource: the latest successful create event wins when a name is reused. -#}
with creator_events as (
    select * from {{ ref('creator_events') }}
),

latest as (
    select *
    from creator_events
    qualify row_number() over (
        partition by account_id, region, resource_type, resource_id
        order by event_time desc nulls last, event_id desc
    ) = 1
),

final as (
    select
        account_id, region, resource_type, resource_id, is_global,
        creator, creator_raw, excluded_reason,
        identity_type, principal_arn, principal_id, user_name, session_name,
        session_issuer_arn, session_issuer_name, on_behalf_of_user_id, invoked_by, access_key_id,
        event_time, event_name, event_source, event_id, user_agent, source_ip
    from latest
)

select * from final
