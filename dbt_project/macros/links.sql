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
