{#-
  Links from an automation identity to the person behind it (role chains, CloudFormation,
  instance profiles, Auto Scaling).  The models stg_cloudtrail__role_sessions, int_link_nodes,
  int_link_steps and int_creators_linked use these; runner/trailcreator/attribution.py
  (LINK_EVENT_PAIRS) names the same events for the reader.
-#}

{% macro follow_links() %}
    {#- BOOLEAN (Jinja): follow links (var follow_links or TRAILCREATOR_FOLLOW_LINKS; default true). -#}
    {%- set value = var('follow_links', env_var('TRAILCREATOR_FOLLOW_LINKS', 'true')) -%}
    {%- set text = (value | string).strip().lower() -%}
    {%- if text in ['true', '1', 'yes', 'on', ''] -%}
        {{ return(true) }}
    {%- elif text in ['false', '0', 'no', 'off'] -%}
        {{ return(false) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("follow_links '" ~ value ~ "' is not true or false: set the var or TRAILCREATOR_FOLLOW_LINKS to true or false") }}
{% endmacro %}

{% macro max_link_hops() %}
    {#- How many links a chain may follow before it is given up (a small number: chains are short). -#}
    {{ return(5) }}
{% endmacro %}

{% macro role_session_event_names() %}
    {#- The STS events that issue role-session credentials (their access key id is the link). -#}
    {{ return(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity']) }}
{% endmacro %}

{% macro link_event_pairs() %}
    {#- (eventSource, eventName) pairs the links read besides the map's; the STS ones go to stg_cloudtrail__role_sessions. -#}
    {{ return([
        ('cloudformation.amazonaws.com', 'CreateStack'),
        ('cloudformation.amazonaws.com', 'UpdateStack'),
        ('cloudformation.amazonaws.com', 'ExecuteChangeSet'),
        ('ec2.amazonaws.com', 'RunInstances'),
        ('autoscaling.amazonaws.com', 'CreateAutoScalingGroup'),
    ]) }}
{% endmacro %}

{% macro json_scalar(expr, path) %}
    {#- VARCHAR: the scalar at JSONPath `path` ('$.a.b', text, not SQL) of the JSON value `expr`; null when absent. -#}
    {%- if not modules.re.match('^\\$(\\.[A-Za-z0-9_]+)+$', path) -%}
        {{ exceptions.raise_compiler_error("json_scalar: path '" ~ path ~ "' must look like $.name.name") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_scalar', 'trailcreator')(expr, path)) }}
{% endmacro %}
{% macro duckdb__json_scalar(expr, path) %}nullif(json_extract_string({{ expr }}, '{{ path }}'), ''){% endmacro %}
{% macro athena__json_scalar(expr, path) %}nullif(json_extract_scalar({{ expr }}, '{{ path }}'), ''){% endmacro %}

{% macro json_text(expr) %}
    {#- VARCHAR: the JSON value `expr` as text. -#}
    {{ return(adapter.dispatch('json_text', 'trailcreator')(expr)) }}
{% endmacro %}
{% macro duckdb__json_text(expr) %}cast({{ expr }} as varchar){% endmacro %}
{% macro athena__json_text(expr) %}json_format({{ expr }}){% endmacro %}

{% macro request_tag_value(json_expr, key) %}
    {#-
      VARCHAR: the value of the tag `key` (text, e.g. aws:cloudformation:stack-id) in a request's
      JSON, whatever shape the service gives its tags: {"key": K, "value": V} (any case, key
      first or last) or {K: V}.  Null when the request does not carry it.
    -#}
    {%- if not modules.re.match('^[A-Za-z0-9:_.-]+$', key) -%}
        {{ exceptions.raise_compiler_error("request_tag_value: key '" ~ key ~ "' must be letters, digits and : _ . -") }}
    {%- endif -%}
    {%- set k = key | replace('.', '\\.') -%}
    coalesce(
        nullif(regexp_extract({{ trailcreator.json_text(json_expr) }}, '"{{ k }}"\s*(?:,\s*"[Vv]alue"\s*)?:\s*"([^"]+)"', 1), ''),
        nullif(regexp_extract({{ trailcreator.json_text(json_expr) }}, '"[Vv]alue"\s*:\s*"([^"]+)"\s*,\s*"[Kk]ey"\s*:\s*"{{ k }}"', 1), '')
    )
{% endmacro %}

{% macro stack_name_of(expr) %}
    {#- VARCHAR: the stack name in a stack id (arn:...:stack/<name>/<guid>), or `expr` itself when it is a name. -#}
    case when {{ expr }} like 'arn:%' then nullif(regexp_extract({{ expr }}, ':stack/([^/]+)', 1), '') else {{ expr }} end
{% endmacro %}

{% macro cloudtrail_role_sessions() %}
    {#- One row per successful STS call that issued role-session credentials, deduplicated by eventID. -#}
    {{ return(adapter.dispatch('cloudtrail_role_sessions', 'trailcreator')()) }}
{% endmacro %}

{% macro duckdb__cloudtrail_role_sessions() %}
with objects as (
    select object_key
    from {{ ref('stg_cloudtrail__objects') }}
    where status = 'ok'
),

records as (
    select records.*
    from {{ source('ingest', 'records') }} as records
    semi join objects using (object_key)
    where records."eventSource" = 'sts.amazonaws.com'
      and records."eventName" in ('{{ trailcreator.role_session_event_names() | join("', '") }}')
      and records."errorCode" is null
),

renamed as (
    select
        case when "eventID" is null then 'no-event-id:' || md5(coalesce(cast("responseElements" as varchar), '')) else "eventID" end as event_id,
        coalesce("recipientAccountId", "userIdentity" ->> 'accountId') as account_id,
        "awsRegion" as region,
        coalesce(
            try_strptime("eventTime", '%Y-%m-%dT%H:%M:%SZ'),
            try_strptime("eventTime", '%Y-%m-%dT%H:%M:%S.%fZ'),
            try_cast("eventTime" as timestamp)
        ) as event_time,
        "eventName" as event_name,
        nullif("responseElements" -> 'credentials' ->> 'accessKeyId', '') as issued_access_key_id,
        nullif("requestParameters" ->> 'roleArn', '') as role_arn,
        nullif("requestParameters" ->> 'roleSessionName', '') as role_session_name,
        nullif("userIdentity" ->> 'type', '') as identity_type,
        nullif("userIdentity" ->> 'arn', '') as principal_arn,
        nullif("userIdentity" ->> 'principalId', '') as principal_id,
        nullif("userIdentity" ->> 'userName', '') as user_name,
        nullif("userIdentity" -> 'sessionContext' -> 'sessionIssuer' ->> 'arn', '') as session_issuer_arn,
        nullif("userIdentity" -> 'sessionContext' -> 'sessionIssuer' ->> 'userName', '') as session_issuer_name,
        nullif("userIdentity" -> 'onBehalfOf' ->> 'userId', '') as on_behalf_of_user_id,
        nullif("userIdentity" ->> 'invokedBy', '') as invoked_by,
        nullif("userIdentity" ->> 'accessKeyId', '') as access_key_id,
        nullif("userIdentity" -> 'sessionContext' ->> 'sourceIdentity', '') as source_identity,
        object_key
    from records
),

with_session as (
    select *, {{ session_name_sql() }} as session_name
    from renamed
),

deduplicated as (
    select *
    from with_session
    where issued_access_key_id is not null
    qualify row_number() over (partition by event_id order by object_key) = 1
)

select * from deduplicated
{% endmacro %}

{% macro athena__cloudtrail_role_sessions() %}
with source as (
    select *, "$path" as object_key
    from {{ source('cloudtrail', 'events') }}
    where errorcode is null
      and eventsource = 'sts.amazonaws.com'
      and eventname in ('{{ trailcreator.role_session_event_names() | join("', '") }}')
      and {{ trailcreator.athena_trail_filter() }}
),

renamed as (
    select
        coalesce(eventid, 'no-event-id:' || to_hex(md5(to_utf8(coalesce(responseelements, ''))))) as event_id,
        coalesce(recipientaccountid, useridentity.accountid) as account_id,
        awsregion as region,
        coalesce(
            try(date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ')),
            try(date_parse(eventtime, '%Y-%m-%dT%H:%i:%s.%fZ'))
        ) as event_time,
        eventname as event_name,
        nullif(json_extract_scalar(responseelements, '$.credentials.accessKeyId'), '') as issued_access_key_id,
        nullif(json_extract_scalar(requestparameters, '$.roleArn'), '') as role_arn,
        nullif(json_extract_scalar(requestparameters, '$.roleSessionName'), '') as role_session_name,
        nullif(useridentity.type, '') as identity_type,
        nullif(useridentity.arn, '') as principal_arn,
        nullif(useridentity.principalid, '') as principal_id,
        nullif(useridentity.username, '') as user_name,
        nullif(useridentity.sessioncontext.sessionissuer.arn, '') as session_issuer_arn,
        nullif(useridentity.sessioncontext.sessionissuer.username, '') as session_issuer_name,
        nullif(useridentity.onbehalfof.userid, '') as on_behalf_of_user_id,
        nullif(useridentity.invokedby, '') as invoked_by,
        nullif(useridentity.accesskeyid, '') as access_key_id,
        {{ trailcreator.athena_source_identity() }} as source_identity,
        object_key
    from source
),

with_session as (
    select *, {{ session_name_sql() }} as session_name
    from renamed
),

ranked as (
    select *, row_number() over (partition by event_id order by object_key) as delivery_rank
    from with_session
    where issued_access_key_id is not null
),

deduplicated as (
    select
        event_id, account_id, region, event_time, event_name, issued_access_key_id, role_arn, role_session_name,
        identity_type, principal_arn, principal_id, user_name, session_issuer_arn, session_issuer_name,
        on_behalf_of_user_id, invoked_by, access_key_id, source_identity, object_key, session_name
    from ranked
    where delivery_rank = 1
)

select * from deduplicated
{% endmacro %}

{% macro athena_source_identity() %}
    {#-
      The Athena user guide's CloudTrail table has no useridentity.sessioncontext.sourceidentity:
      the source-identity link needs the column added to the table and the var
      cloudtrail_source_identity: true.  Without it the column is null (the other links still work).
    -#}
    {%- set has = var('cloudtrail_source_identity', env_var('TRAILCREATOR_CLOUDTRAIL_SOURCE_IDENTITY', 'false')) | string | lower -%}
    {%- if has in ['true', '1', 'yes'] -%}
        nullif(useridentity.sessioncontext.sourceidentity, '')
    {%- else -%}
        cast(null as varchar)
    {%- endif -%}
{% endmacro %}

{% macro instances_launched(events) %}
    {#- One row per (event_id, instance_id) of the RunInstances events in `events` (a relation with event_id, response_elements). -#}
    {{ return(adapter.dispatch('instances_launched', 'trailcreator')(events)) }}
{% endmacro %}
{% macro duckdb__instances_launched(events) %}
    select event_id, unnest(json_extract_string(response_elements, '$.instancesSet.items[*].instanceId')) as instance_id
    from {{ events }}
{% endmacro %}
{% macro athena__instances_launched(events) %}
    select event_id, json_extract_scalar(item, '$.instanceId') as instance_id
    from {{ events }}
    cross join unnest(coalesce(try_cast(json_extract(response_elements, '$.instancesSet.items') as array(json)), array[])) as t (item)
{% endmacro %}
