{% macro cloudtrail_records(role_sessions=false) %}
    {#-
      SELECT of the successful CloudTrail records to read, with CloudTrail's field names
      (eventid, eventtime, useridentity, requestparameters, ...: case does not matter on DuckDB)
      and the object_key of the object that held each.  With role_sessions: the STS calls that
      issue role-session credentials (stg_cloudtrail__role_sessions); without: the records of the
      map's pairs and of the links' (stg_cloudtrail__events).
    -#}
    {{ return(adapter.dispatch('cloudtrail_records', 'trailcreator')(role_sessions)) }}
{% endmacro %}

{% macro duckdb__cloudtrail_records(role_sessions) %}
    {#- What the reader kept in ingest.records (successful records of the pairs to read), from the objects read. -#}
    select records.*
    from {{ source('ingest', 'records') }} as records
    semi join (select object_key from {{ ref('stg_cloudtrail__objects') }} where status = 'ok') as objects using (object_key)
    where {% if not role_sessions %}not {% endif -%}
          (records.eventsource = 'sts.amazonaws.com'
           and records.eventname in ('{{ trailcreator.role_session_event_names() | join("', '") }}'))
    {%- if role_sessions %}
      and records.errorcode is null
    {%- endif %}
{% endmacro %}

{% macro athena__cloudtrail_records(role_sessions) %}
    {#- The CloudTrail table the user already has (vars cloudtrail_database, cloudtrail_table), one partition-pruned scan. -#}
    {%- do trailcreator.checked_name(var('cloudtrail_database', env_var('TRAILCREATOR_CLOUDTRAIL_DATABASE', 'default')), 'cloudtrail_database') -%}
    {%- do trailcreator.checked_name(var('cloudtrail_table', env_var('TRAILCREATOR_CLOUDTRAIL_TABLE', 'cloudtrail_logs')), 'cloudtrail_table') -%}
    select source.*, source."$path" as object_key
    from {{ source('cloudtrail', 'events') }} as source
    {%- if not role_sessions %}
    inner join (
        select distinct event_source, event_name
        from {{ ref('stg_resource_map__entries') }}
        {%- if trailcreator.follow_links() %}
        {%- for event_source, event_name in trailcreator.link_event_pairs() %}
        union
        select '{{ event_source }}', '{{ event_name }}'
        {%- endfor %}
        {%- endif %}
    ) as map_pairs
        on source.eventsource = map_pairs.event_source and source.eventname = map_pairs.event_name
    {%- endif %}
    where source.errorcode is null
      and {{ trailcreator.athena_trail_filter() }}
    {%- if role_sessions %}
      and source.eventsource = 'sts.amazonaws.com'
      and source.eventname in ('{{ trailcreator.role_session_event_names() | join("', '") }}')
    {%- endif %}
{% endmacro %}
