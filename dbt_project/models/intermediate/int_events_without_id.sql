{#-
  The silent misses: one row per map entry whose ids expression found nothing in at least one
  of its create events.  A wrong entry (a member CloudTrail spells differently from the API
  reference, say) would otherwise just leave its resources without a creator; here it is
  counted, with one event to look at, and the runner names it on stderr.
-#}
with events as (
    select event_id, event_source, event_name
    from {{ ref('stg_cloudtrail__events') }}
),

entries as (
    select resource_type, event_source, event_name, ids_expression
    from {{ ref('stg_resource_map__entries') }}
),

found as (
    select distinct event_id, resource_type
    from {{ ref('int_resource_ids_extracted') }}
),

per_entry as (
    select
        m.resource_type,
        m.event_source,
        m.event_name,
        m.ids_expression,
        count(*) as create_events,
        sum(case when f.event_id is null then 1 else 0 end) as events_without_id,
        min(case when f.event_id is null then e.event_id end) as example_event_id
    from events as e
    inner join entries as m
        on e.event_source = m.event_source and e.event_name = m.event_name
    left join found as f
        on f.event_id = e.event_id and f.resource_type = m.resource_type
    group by m.resource_type, m.event_source, m.event_name, m.ids_expression
)

select * from per_entry
where events_without_id > 0
