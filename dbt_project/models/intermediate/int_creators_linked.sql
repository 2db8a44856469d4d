{#-
  One row per create event (an event_id of int_resource_ids_extracted): the person behind it,
  found by following int_link_steps from the event's own identity, at most max_link_hops()
  links, never through the same event twice.

  The person is found (via is set) when the chain ends at a source identity, or at an identity
  that is not excluded (a person, or a role session the trail does not explain further) after
  at least one link.  Otherwise the event's own identity stays, and link_note says why a chain
  that was started gave nothing: cycle, too-many-hops, or no-person (it ended at a service,
  a service-linked role or an instance nobody in the trail launched).
-#}
{%- set hops = trailcreator.max_link_hops() %}
with creates as (
    select distinct event_id from {{ ref('int_resource_ids_extracted') }}
),

nodes as (
    select * from {{ ref('int_link_nodes') }}
),

steps as (
    select * from {{ ref('int_link_steps') }}
),

hop_0 as (
    select
        event_id as start_node_id,
        event_id as node_id,
        0 as hops,
        cast(null as varchar) as via,
        cast(null as varchar) as via_path,
        '|' || event_id || '|' as visited,
        cast(null as varchar) as person_name,
        'open' as state
    from creates
),
{% for i in range(1, hops + 1) %}
hop_{{ i }} as (
    select
        walk.start_node_id,
        case when walk.state = 'open' and steps.next_node_id is not null
                  and not {{ trailcreator.str_contains('walk.visited', "'|' || steps.next_node_id || '|'") }}
             then steps.next_node_id else walk.node_id end as node_id,
        case when walk.state = 'open' and steps.node_id is not null then walk.hops + 1 else walk.hops end as hops,
        case when walk.state = 'open' and steps.node_id is not null then coalesce(walk.via, steps.link) else walk.via end as via,
        case when walk.state = 'open' and steps.node_id is not null
             then case when walk.via_path is null then steps.link else walk.via_path || ' > ' || steps.link end
             else walk.via_path end as via_path,
        case when walk.state = 'open' and steps.next_node_id is not null
             then walk.visited || steps.next_node_id || '|' else walk.visited end as visited,
        case when walk.state = 'open' and steps.node_id is not null and steps.next_node_id is null
             then steps.person_name else walk.person_name end as person_name,
        case
            when walk.state <> 'open' then walk.state
            when steps.node_id is null then 'end'
            when steps.next_node_id is null then 'source-identity'
            when {{ trailcreator.str_contains('walk.visited', "'|' || steps.next_node_id || '|'") }} then 'cycle'
            else 'open'
        end as state
    from hop_{{ i - 1 }} as walk
    left join steps
        on walk.state = 'open' and steps.node_id = walk.node_id
),
{% endfor %}
walked as (
    select
        walk.*,
        case when walk.state = 'open' and steps.node_id is not null then 'too-many-hops'
             when walk.state = 'open' then 'end'
             else walk.state end as outcome
    from hop_{{ hops }} as walk
    left join steps
        on steps.node_id = walk.node_id
),

resolved as (
    select
        walked.start_node_id as event_id,
        walked.hops as link_hops,
        walked.outcome,
        walked.via,
        walked.via_path,
        walked.person_name,
        reached.node_id as reached_node_id,
        reached.excluded_reason as reached_excluded_reason,
        reached.identity_type, reached.principal_arn, reached.principal_id, reached.user_name, reached.session_name,
        reached.session_issuer_arn, reached.session_issuer_name, reached.on_behalf_of_user_id, reached.invoked_by
    from walked
    inner join nodes as reached
        on reached.node_id = walked.node_id
),

final as (
    select
        event_id,
        case when found then via end as via,
        case when found then via_path end as via_path,
        case when found then link_hops else 0 end as link_hops,
        case
            when found then null
            when outcome in ('cycle', 'too-many-hops') then outcome
            when link_hops > 0 then 'no-person'
        end as link_note,
        case when found then reached_node_id end as person_event_id,
        case when found then case when outcome = 'source-identity' then 'SourceIdentity' else identity_type end end as person_identity_type,
        case when found and outcome <> 'source-identity' then principal_arn end as person_principal_arn,
        case when found and outcome <> 'source-identity' then principal_id end as person_principal_id,
        case when found then case when outcome = 'source-identity' then person_name else user_name end end as person_user_name,
        case when found and outcome <> 'source-identity' then session_name end as person_session_name,
        case when found and outcome <> 'source-identity' then session_issuer_arn end as person_session_issuer_arn,
        case when found and outcome <> 'source-identity' then session_issuer_name end as person_session_issuer_name,
        case when found and outcome <> 'source-identity' then on_behalf_of_user_id end as person_on_behalf_of_user_id,
        case when found and outcome <> 'source-identity' then invoked_by end as person_invoked_by
    from (
        select
            *,
            (outcome = 'source-identity' or (outcome = 'end' and link_hops > 0 and reached_excluded_reason is null)) as found
        from resolved
    ) as decided
)

select * from final
