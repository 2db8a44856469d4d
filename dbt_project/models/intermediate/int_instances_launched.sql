{#- One row per (account_id, instance_id): the RunInstances event that launched the instance. -#}
with launches as (
    select event_id, account_id, event_time, response_elements
    from {{ ref('stg_cloudtrail__events') }}
    where event_source = 'ec2.amazonaws.com' and event_name = 'RunInstances'
),

instance_ids as (
    {{ trailcreator.instances_launched('launches') }}
),

joined as (
    select launches.account_id, instance_ids.instance_id, launches.event_id, launches.event_time
    from instance_ids
    -- ON, not USING: Trino (Athena) does not let a USING column be named by its table
    inner join launches on launches.event_id = instance_ids.event_id
    where instance_ids.instance_id is not null and instance_ids.instance_id <> ''
),

ranked as (
    -- an instance id is launched once; a record delivered twice is one event already
    select *, row_number() over (partition by account_id, instance_id order by event_time, event_id) as launch_rank
    from joined
),

final as (
    select account_id, instance_id, event_id, event_time
    from ranked
    where launch_rank = 1
)

select * from final
