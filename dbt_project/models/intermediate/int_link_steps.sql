{#-
  One row per link node that is not a person and whose identity the trail explains: the one
  link followed from it (the first that applies, in this order), and where it leads.

  1. source-identity: a role session carrying sessionContext.sourceIdentity: that value is the person.
  2. cloudformation:<stack>: a create by CloudFormation (session AWSCloudFormation, or invokedBy
     cloudformation.amazonaws.com) whose request carries the tag aws:cloudformation:stack-id:
     the latest CreateStack, UpdateStack or ExecuteChangeSet of that stack (by id or name) at or
     before it.
  3. autoscaling:<group>: a call by the Auto Scaling service-linked role whose request carries
     the tag aws:autoscaling:groupName: the latest CreateAutoScalingGroup of that group at or before it.
  4. instance:<id>: a role session named after an instance (i-...): the RunInstances that launched it.
  5. assume-role: a role session whose access key an STS AssumeRole* call issued: that call.

  Nothing when following links is off (var follow_links: false).
-#}
with nodes as (
    select * from {{ ref('int_link_nodes') }}
),

instances as (
    select * from {{ ref('int_instances_launched') }}
),

role_sessions as (
    select event_id, issued_access_key_id from {{ ref('stg_cloudtrail__role_sessions') }}
),

open_nodes as (
    select *
    from nodes
    where not is_person
      {%- if not trailcreator.follow_links() %}
      and false  -- follow_links is off
      {%- endif %}
),

by_source_identity as (
    select
        node_id, 1 as link_rank, 'source-identity' as link, cast(null as varchar) as next_node_id,
        source_identity as person_name, cast(null as timestamp) as target_time
    from open_nodes
    where identity_type = 'AssumedRole' and source_identity is not null
),

stack_operations as (
    select node_id, account_id, region, event_time, stack_id, stack_name
    from nodes
    where event_source = 'cloudformation.amazonaws.com'
      and event_name in ('CreateStack', 'UpdateStack', 'ExecuteChangeSet')
),

by_stack as (
    select
        open_nodes.node_id, 2 as link_rank,
        'cloudformation:' || {{ trailcreator.stack_name_of('open_nodes.tagged_stack_id') }} as link,
        ops.node_id as next_node_id, cast(null as varchar) as person_name, ops.event_time as target_time
    from open_nodes
    inner join stack_operations as ops
        on ops.account_id = regexp_extract(open_nodes.tagged_stack_id, '^arn:[^:]*:cloudformation:[^:]*:([0-9]+):', 1)
       and ops.region = regexp_extract(open_nodes.tagged_stack_id, '^arn:[^:]*:cloudformation:([^:]*):', 1)
       and (ops.stack_id = open_nodes.tagged_stack_id
            or ops.stack_name = {{ trailcreator.stack_name_of('open_nodes.tagged_stack_id') }})
       and ops.event_time <= open_nodes.event_time
    where open_nodes.tagged_stack_id is not null
      and (open_nodes.session_name = 'AWSCloudFormation' or open_nodes.invoked_by = 'cloudformation.amazonaws.com')
),

groups as (
    select node_id, account_id, region, event_time, group_name
    from nodes
    where event_source = 'autoscaling.amazonaws.com' and event_name = 'CreateAutoScalingGroup' and group_name is not null
),

by_group as (
    select
        open_nodes.node_id, 3 as link_rank, 'autoscaling:' || open_nodes.tagged_group_name as link,
        groups.node_id as next_node_id, cast(null as varchar) as person_name, groups.event_time as target_time
    from open_nodes
    inner join groups
        on groups.account_id = open_nodes.account_id
       and groups.region = open_nodes.region
       and groups.group_name = open_nodes.tagged_group_name
       and groups.event_time <= open_nodes.event_time
    where open_nodes.tagged_group_name is not null
      and ({{ trailcreator.str_contains("coalesce(open_nodes.principal_arn, '')", "'AWSServiceRoleForAutoScaling'") }}
           or open_nodes.session_issuer_name = 'AWSServiceRoleForAutoScaling'
           or open_nodes.invoked_by = 'autoscaling.amazonaws.com')
),

by_instance as (
    select
        open_nodes.node_id, 4 as link_rank, 'instance:' || open_nodes.session_name as link,
        instances.event_id as next_node_id, cast(null as varchar) as person_name, instances.event_time as target_time
    from open_nodes
    inner join instances
        on instances.account_id = open_nodes.account_id
       and instances.instance_id = open_nodes.session_name
    where open_nodes.identity_type = 'AssumedRole'
      and {{ trailcreator.regexp_full_match("coalesce(open_nodes.session_name, '')", 'i-[0-9a-f]{8,17}') }}
),

by_assume_role as (
    select
        open_nodes.node_id, 5 as link_rank, 'assume-role' as link,
        role_sessions.event_id as next_node_id, cast(null as varchar) as person_name, cast(null as timestamp) as target_time
    from open_nodes
    inner join role_sessions
        on role_sessions.issued_access_key_id = open_nodes.access_key_id
    where open_nodes.identity_type = 'AssumedRole'
),

candidates as (
    select * from by_source_identity
    union all
    select * from by_stack
    union all
    select * from by_group
    union all
    select * from by_instance
    union all
    select * from by_assume_role
),

ranked as (
    -- the first rule that applies; within it, the latest target at or before the node
    select
        *,
        row_number() over (
            partition by node_id
            order by link_rank, {{ trailcreator.epoch_seconds('target_time') }} desc nulls last, next_node_id
        ) as step_rank
    from candidates
),

final as (
    select node_id, link, next_node_id, person_name
    from ranked
    where step_rank = 1
)

select * from final
