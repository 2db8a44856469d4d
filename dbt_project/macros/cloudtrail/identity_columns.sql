{% macro identity_columns() %}
    {#-
      The identity columns of a record (stg_cloudtrail__events, stg_cloudtrail__role_sessions):
      its userIdentity fields, empty strings as null (a field the table lacks: null), and the
      session_name of a role session.  A `useridentity` column in scope.
    -#}
    {%- set columns = [
        ('identity_type', 'type'),
        ('principal_arn', 'arn'),
        ('principal_id', 'principalId'),
        ('user_name', 'userName'),
        ('session_issuer_arn', 'sessionContext.sessionIssuer.arn'),
        ('session_issuer_name', 'sessionContext.sessionIssuer.userName'),
        ('on_behalf_of_user_id', 'onBehalfOf.userId'),
        ('invoked_by', 'invokedBy'),
        ('access_key_id', 'accessKeyId'),
        ('source_identity', 'sessionContext.sourceIdentity'),
    ] -%}
    {%- set fields = {} %}
    {%- for name, path in columns %}
        {%- set field = trailcreator.identity_field(path) | trim %}
        {%- do fields.update({name: field if field.startswith('cast(null') else 'nullif(' ~ field ~ ", '')"}) %}
        {{ fields[name] }} as {{ name }},
    {%- endfor %}
        {{ trailcreator.session_name_of(fields.identity_type, fields.principal_arn, fields.principal_id) }} as session_name
{%- endmacro %}
