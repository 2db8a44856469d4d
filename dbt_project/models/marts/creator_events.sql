{#-
  One row per (create event, resource type, resource id), every identity field kept.  The
  direct principal's columns are the event's own; person_* are the identity the creator is
  taken from: the person a link found (via says how, int_creators_linked), else the principal.
-#}
{%- set creator_format = var('creator_format', env_var('TRAILCREATOR_CREATOR_FORMAT', 'name')) %}
{%- set person_fields = ['identity_type', 'principal_arn', 'principal_id', 'user_name', 'session_name',
                         'session_issuer_arn', 'session_issuer_name', 'on_behalf_of_user_id', 'invoked_by'] %}
with ids as (
    select * from {{ ref('int_resource_ids_extracted') }}
),

events as (
    select * from {{ ref('stg_cloudtrail__events') }}
),

linked as (
    select * from {{ ref('int_creators_linked') }}
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
        events.access_key_id,
        events.source_identity,
        linked.via,
        linked.via_path,
        coalesce(linked.link_hops, 0) as link_hops,
        linked.link_note,
        linked.person_event_id,
        {%- for f in person_fields %}
        case when linked.via is not null then linked.person_{{ f }} else events.{{ f }} end as person_{{ f }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ids
    -- ON, not USING: Trino (Athena) does not let a USING column be named by its table
    inner join events on events.event_id = ids.event_id
    left join linked on linked.event_id = ids.event_id
),

attributed as (
    select
        *,
        {{ creator_raw(creator_format, 'person_') }} as creator_raw,
        {{ exclusion_reason('person_') }} as excluded_reason
    from joined
),

formatted as (
    -- the tag value in every format, so the tagger reads the one --creator-format names
    select
        *
        {%- for fmt in creator_formats() %},
        case when excluded_reason is null then {{ tag_value(creator_raw(fmt, 'person_')) }} end as {{ creator_column(fmt) }}
        {%- endfor %}
    from attributed
),

final as (
    select *, {{ creator_column(creator_format) }} as creator
    from formatted
)

select * from final
