{#- One row per (create event, resource type, resource id), every identity field kept. -#}
with ids as (
    select * from {{ ref('int_resource_ids_extracted') }}
),

events as (
    select * from {{ ref('stg_cloudtrail__events') }}
),

joined as (
    select
        events.account_id,
        events.region,
        ids.resource_type,
        ids.resource_id,
        events.event_source in {{ global_event_sources() }} as is_global,
        events.event_time,
        events.event_name,
        events.event_source,
        events.event_id,
        events.user_agent,
        events.source_ip,
        events.identity_type,
        events.principal_arn,
        events.principal_id,
        events.user_name,
        events.session_name,
        events.session_issuer_arn,
        events.session_issuer_name,
        events.on_behalf_of_user_id,
        events.invoked_by,
        events.access_key_id
    from ids
    inner join events using (event_id)
),

attributed as (
    select
        *,
        {{ creator_raw(var('creator_format', env_var('TRAILCREATOR_CREATOR_FORMAT', 'name'))) }} as creator_raw,
        {{ exclusion_reason() }} as excluded_reason
    from joined
),

final as (
    select
        *,
        case when excluded_reason is null then {{ tag_value('creator_raw') }} end as creator
    from attributed
)

select * from final
