{#-
  The creator rules in SQL.  They mirror runner/trailcreator/attribution.py, which the tagger
  applies at tag time; tests/test_attribution.py checks the two agree row by row.
  Each macro expects the identity columns of stg_cloudtrail__events in scope.
-#}

{% macro last_segment(arn) %}
    {#- What follows the ARN's last '/' (user name, session name); null without one. -#}
    nullif(regexp_extract({{ arn }}, '/([^/]*)$', 1), '')
{% endmacro %}

{% macro session_name_sql() %}
    {#- The role session name of an AssumedRole identity: the ARN's last segment. -#}
    case when identity_type = 'AssumedRole'
         then coalesce({{ last_segment('principal_arn') }},
                       nullif(split_part(principal_id, ':', 2), ''))
    end
{% endmacro %}

{% macro role_name_sql() %}
    {#- The role behind an assumed-role session. -#}
    coalesce(session_issuer_name, nullif(regexp_extract(principal_arn, '^arn:[^:]*:sts::[^:]*:assumed-role/([^/]+)/', 1), ''))
{% endmacro %}

{% macro creator_raw(fmt='name') %}
    {#- The creator before tag-value cleaning, for fmt in name | role | role-session | arn. -#}
    {%- if fmt not in ['name', 'role', 'role-session', 'arn'] -%}
        {{ exceptions.raise_compiler_error("creator_format '" ~ fmt ~ "' is not one of name, role, role-session, arn: set the var or TRAILCREATOR_CREATOR_FORMAT to one of them") }}
    {%- endif -%}
    {%- if fmt == 'arn' -%}
    coalesce(principal_arn, {{ creator_raw('name') }})
    {%- else -%}
    case identity_type
        when 'Root' then 'root'
        when 'IAMUser' then coalesce(user_name, {{ last_segment('principal_arn') }})
        {%- if fmt == 'role' %}
        when 'AssumedRole' then coalesce({{ role_name_sql() }}, session_name)
        {%- elif fmt == 'role-session' %}
        when 'AssumedRole' then case when {{ role_name_sql() }} is not null and session_name is not null
                                     then {{ role_name_sql() }} || '/' || session_name else session_name end
        {%- else %}
        when 'AssumedRole' then session_name
        {%- endif %}
        when 'FederatedUser' then coalesce({{ last_segment('principal_arn') }}, user_name)
        when 'SAMLUser' then coalesce(user_name, {{ last_segment('principal_arn') }})
        when 'WebIdentityUser' then coalesce(user_name, {{ last_segment('principal_arn') }})
        when 'IdentityCenterUser' then on_behalf_of_user_id
        when 'AWSAccount' then principal_id
        when 'AWSService' then null
        else coalesce(user_name, {{ last_segment('principal_arn') }})
    end
    {%- endif -%}
{% endmacro %}

{% macro exclusion_reason() %}
    {#- Why an identity is not a person to tag with; null when it is one. -#}
    case
        when identity_type = 'AWSService' then 'aws-service'
        when {{ trailcreator.str_contains("coalesce(principal_arn, '')", "'aws-service-role/'") }}
          or {{ trailcreator.str_contains("coalesce(session_issuer_arn, '')", "'aws-service-role/'") }}
          or {{ trailcreator.str_contains("coalesce(principal_arn, '')", "'AWSServiceRole'") }} then 'service-linked-role'
        when identity_type = 'AssumedRole' and {{ trailcreator.regexp_full_match("coalesce(session_name, '')", 'i-[0-9a-f]{8,17}') }} then 'instance-profile'
        when ({{ creator_raw('name') }}) is null then 'no-identity'
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
