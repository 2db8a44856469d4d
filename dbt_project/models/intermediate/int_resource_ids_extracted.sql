with events as (
    select
        event_id,
        event_source,
        event_name,
        {{ trailcreator.event_document() }} as doc
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
