{% macro role_session_event_names() %}
    {#- The STS events that issue role-session credentials (their access key id is the link);
        attribution.ROLE_SESSION_EVENT_PAIRS names the same for the reader. -#}
    {{ return(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity']) }}
{% endmacro %}
