{% macro identity_field(path) %}
    {#-
      VARCHAR: the field of the record's userIdentity at `path` (text, CloudTrail's names:
      'arn', 'sessionContext.sessionIssuer.userName'); JSON on DuckDB, a struct on Athena.
    -#}
    {%- if not modules.re.match('^[A-Za-z]+(\\.[A-Za-z]+)*$', path) -%}
        {{ exceptions.raise_compiler_error("identity_field: path '" ~ path ~ "' must look like name.name") }}
    {%- endif -%}
    {{ return(adapter.dispatch('identity_field', 'trailcreator')(path)) }}
{% endmacro %}

{% macro duckdb__identity_field(path) -%}
    {%- set keys = path.split('.') -%}
    useridentity{% for key in keys[:-1] %} -> '{{ key }}'{% endfor %} ->> '{{ keys[-1] }}'
{%- endmacro %}

{% macro athena__identity_field(path) -%}
    {%- set source_identity = var('cloudtrail_source_identity', env_var('TRAILCREATOR_CLOUDTRAIL_SOURCE_IDENTITY', 'false')) | string | lower -%}
    {%- if path == 'sessionContext.sourceIdentity' and source_identity not in ['true', '1', 'yes'] -%}
        {#- The Athena user guide's CloudTrail table has no such column: the source-identity link
            needs it added to the table and the var cloudtrail_source_identity: true. -#}
        cast(null as varchar)
    {%- else -%}
        useridentity.{{ path | lower }}
    {%- endif -%}
{%- endmacro %}
