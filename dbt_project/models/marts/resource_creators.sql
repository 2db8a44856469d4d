{#-
  One row per resource.  The latest successful create wins when a name is reused.  Put*
  events (PutRule, PutParameter, PutMetricAlarm...) create or update: for them the earliest
  event is the creation, and a true create event is preferred over any of them.
-#}
with creator_events as (
    select * from {{ ref('creator_events') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by account_id, region, resource_type, resource_id
            order by
                starts_with(event_name, 'Put'),
                case when starts_with(event_name, 'Put') then {{ trailcreator.epoch_seconds('event_time') }}
                     else -{{ trailcreator.epoch_seconds('event_time') }} end nulls last,
                event_id desc
        ) as creator_rank
    from creator_events
),

latest as (
    -- a subquery rather than QUALIFY, which Athena (Trino) does not have
    select * from ranked where creator_rank = 1
),

final as (
    select
        account_id, region, resource_type, resource_id, is_global,
        creator, creator_raw, excluded_reason,
        creator_name, creator_role, creator_role_session, creator_arn, creator_principal_id,
        identity_type, principal_arn, principal_id, user_name, session_name,
        session_issuer_arn, session_issuer_name, on_behalf_of_user_id, invoked_by, access_key_id,
        event_time, event_name, event_source, event_id, user_agent, source_ip,
        source_identity, via, via_path, link_hops, link_note, person_event_id,
        person_identity_type, person_principal_arn, person_principal_id, person_user_name, person_session_name,
        person_session_issuer_arn, person_session_issuer_name, person_on_behalf_of_user_id, person_invoked_by
    from latest
)

select * from final
