{#-
  One row per event a link can start from or lead to: every event of stg_cloudtrail__events
  (creates, stack operations, launches) and every STS call that issued role-session
  credentials (its caller is the next identity of a role chain).
-#}
with events as (
    select * from {{ ref('stg_cloudtrail__events') }}
),

role_sessions as (
    select * from {{ ref('stg_cloudtrail__role_sessions') }}
),

event_nodes as (
    select
        event_id as node_id,
        'event' as node_kind,
        account_id, region, event_time, event_source, event_name,
        identity_type, principal_arn, principal_id, user_name, session_name, session_issuer_arn,
        session_issuer_name, on_behalf_of_user_id, invoked_by, access_key_id, source_identity,
        {{ trailcreator.request_tag_value('request_parameters', 'aws:cloudformation:stack-id') }} as tagged_stack_id,
        {{ trailcreator.request_tag_value('request_parameters', 'aws:autoscaling:groupName') }} as tagged_group_name,
        case when event_source = 'cloudformation.amazonaws.com'
             then coalesce({{ trailcreator.json_scalar('response_elements', '$.stackId') }},
                           case when {{ trailcreator.json_scalar('request_parameters', '$.stackName') }} like 'arn:%'
                                then {{ trailcreator.json_scalar('request_parameters', '$.stackName') }} end)
        end as stack_id,
        case when event_source = 'cloudformation.amazonaws.com'
             then {{ trailcreator.stack_name_of(trailcreator.json_scalar('request_parameters', '$.stackName')) }}
        end as stack_name,
        case when event_source = 'autoscaling.amazonaws.com'
             then {{ trailcreator.json_scalar('request_parameters', '$.autoScalingGroupName') }}
        end as group_name
    from events
),

session_nodes as (
    select
        event_id as node_id,
        'role-session' as node_kind,
        account_id, region, event_time, 'sts.amazonaws.com' as event_source, event_name,
        identity_type, principal_arn, principal_id, user_name, session_name, session_issuer_arn,
        session_issuer_name, on_behalf_of_user_id, invoked_by, access_key_id, source_identity,
        cast(null as varchar) as tagged_stack_id,
        cast(null as varchar) as tagged_group_name,
        cast(null as varchar) as stack_id,
        cast(null as varchar) as stack_name,
        cast(null as varchar) as group_name
    from role_sessions
),

nodes as (
    select * from event_nodes
    union all
    select * from session_nodes
),

classified as (
    select
        *,
        {{ trailcreator.exclusion_reason() }} as excluded_reason
    from nodes
),

final as (
    select
        *,
        -- a person already: links are never followed from here
        (excluded_reason is null and coalesce(identity_type, '') not in ('AssumedRole', 'AWSService')) as is_person
    from classified
)

select * from final
