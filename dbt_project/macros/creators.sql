{#-
  The creator rules: their only home.  creator_events computes the creator in every format
  (creator_name, creator_role, ...) and the tagger reads the column its --creator-format names,
  so the same rules run on DuckDB and on Athena and nothing recomputes them in Python.
  Each macro expects the identity columns of stg_cloudtrail__events in scope, named with the
  prefix `p` ('' for the event's own principal, 'person_' for the person a link found).
-#}

{% macro last_segment(arn) %}
    {#- What follows the ARN's last '/' (user name, session name); null without one. -#}
    nullif(regexp_extract({{ arn }}, '/([^/]*)$', 1), '')
{% endmacro %}

{% macro session_name_of(identity_type, principal_arn, principal_id) %}
    {#- The role session name of an AssumedRole identity (SQL expressions of its fields): the ARN's last segment. -#}
    case when {{ identity_type }} = 'AssumedRole'
         then coalesce({{ last_segment(principal_arn) }},
                       nullif(split_part({{ principal_id }}, ':', 2), ''))
    end
{% endmacro %}

{% macro role_name_sql(p='') %}
    {#- The role behind an assumed-role session. -#}
    coalesce({{ p }}session_issuer_name, nullif(regexp_extract({{ p }}principal_arn, '^arn:[^:]*:sts::[^:]*:assumed-role/([^/]+)/', 1), ''))
{% endmacro %}

{% macro creator_formats() %}
    {#- The values of creator_format (attribution.CREATOR_FORMATS). -#}
    {{ return(['name', 'role', 'role-session', 'arn', 'principal-id']) }}
{% endmacro %}

{% macro creator_column(fmt) %}
    {#- The column holding the tag value in format `fmt`: creator_name, creator_role, creator_role_session, ... -#}
    {{- return('creator_' ~ fmt | replace('-', '_')) -}}
{% endmacro %}

{% macro creator_raw(fmt='name', p='') %}
    {#- The creator before tag-value cleaning, for fmt in name | role | role-session | arn | principal-id. -#}
    {%- if fmt not in trailcreator.creator_formats() -%}
        {{ exceptions.raise_compiler_error("creator_format '" ~ fmt ~ "' is not one of " ~ trailcreator.creator_formats() | join(', ') ~ ": set the var or TRAILCREATOR_CREATOR_FORMAT to one of them") }}
    {%- endif -%}
    {%- if fmt == 'arn' -%}
    coalesce({{ p }}principal_arn, {{ creator_raw('name', p) }})
    {%- elif fmt == 'principal-id' -%}
    coalesce({{ p }}principal_id, {{ creator_raw('name', p) }})
    {%- else -%}
    case {{ p }}identity_type
        when 'Root' then 'root'
        when 'IAMUser' then coalesce({{ p }}user_name, {{ last_segment(p ~ 'principal_arn') }})
        {%- if fmt == 'role' %}
        when 'AssumedRole' then coalesce({{ role_name_sql(p) }}, {{ p }}session_name)
        {%- elif fmt == 'role-session' %}
        when 'AssumedRole' then case when {{ role_name_sql(p) }} is not null and {{ p }}session_name is not null
                                     then {{ role_name_sql(p) }} || '/' || {{ p }}session_name else {{ p }}session_name end
        {%- else %}
        when 'AssumedRole' then {{ p }}session_name
        {%- endif %}
        when 'FederatedUser' then coalesce({{ last_segment(p ~ 'principal_arn') }}, {{ p }}user_name)
        when 'SAMLUser' then coalesce({{ p }}user_name, {{ last_segment(p ~ 'principal_arn') }})
        when 'WebIdentityUser' then coalesce({{ p }}user_name, {{ last_segment(p ~ 'principal_arn') }})
        when 'IdentityCenterUser' then {{ p }}on_behalf_of_user_id
        when 'AWSAccount' then {{ p }}principal_id
        when 'AWSService' then null
        else coalesce({{ p }}user_name, {{ last_segment(p ~ 'principal_arn') }})
    end
    {%- endif -%}
{% endmacro %}

{% macro exclusion_reason(p='') %}
    {#- Why an identity is not a person to tag with; null when it is one. -#}
    case
        when {{ p }}identity_type = 'AWSService' then 'aws-service'
        when {{ trailcreator.str_contains("coalesce(" ~ p ~ "principal_arn, '')", "'aws-service-role/'") }}
          or {{ trailcreator.str_contains("coalesce(" ~ p ~ "session_issuer_arn, '')", "'aws-service-role/'") }}
          or {{ trailcreator.str_contains("coalesce(" ~ p ~ "principal_arn, '')", "'AWSServiceRole'") }} then 'service-linked-role'
        when {{ p }}identity_type = 'AssumedRole' and {{ trailcreator.regexp_full_match("coalesce(" ~ p ~ "session_name, '')", 'i-[0-9a-f]{8,17}') }} then 'instance-profile'
        when ({{ creator_raw('name', p) }}) is null then 'no-identity'
    end
{% endmacro %}

{% macro tag_value(expr) %}
    {#- A valid AWS tag value: characters AWS forbids become '_', at most 256 characters. -#}
    nullif({{ trailcreator.left_chars(trailcreator.regexp_replace_all(expr, "'[^\\p{L}\\p{N}\\p{Zs}_.:/=+\\-@]'", "'_'"), 256) }}, '')
{% endmacro %}

{% macro global_event_sources() %}
    {#- Services that record their events in us-east-1 whatever region the resource serves. -#}
    ('iam.amazonaws.com', 'cloudfront.amazonaws.com', 'route53.amazonaws.com',
     'organizations.amazonaws.com', 'waf.amazonaws.com', 'shield.amazonaws.com',
     'globalaccelerator.amazonaws.com', 'route53domains.amazonaws.com')
{% endmacro %}
