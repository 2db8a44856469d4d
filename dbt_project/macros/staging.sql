{#-
  The body of stg_cloudtrail__events per engine.  On DuckDB the records come from the trail
  objects stg_cloudtrail__objects read (or a load-athena result); on Athena from the CloudTrail
  table the user already has, named by the vars cloudtrail_database and cloudtrail_table.
-#}

{% macro cloudtrail_events() %}
    {#- One row per successful record of a mapped (eventSource, eventName) pair, deduplicated by eventID. -#}
    {{ return(adapter.dispatch('cloudtrail_events', 'trailcreator')()) }}
{% endmacro %}

{% macro duckdb__cloudtrail_events() %}
with objects as (
    select object_key
    from {{ ref('stg_cloudtrail__objects') }}
    where status = 'ok'
),

records as (
    -- the record as one struct, as CloudTrail wrote it (the id expressions read it whole)
    select
        records.object_key,
        struct_pack(
            "eventVersion" := records."eventVersion",
            "eventID" := records."eventID",
            "eventTime" := records."eventTime",
            "eventSource" := records."eventSource",
            "eventName" := records."eventName",
            "awsRegion" := records."awsRegion",
            "recipientAccountId" := records."recipientAccountId",
            "userAgent" := records."userAgent",
            "sourceIPAddress" := records."sourceIPAddress",
            "errorCode" := records."errorCode",
            "userIdentity" := records."userIdentity",
            "requestParameters" := records."requestParameters",
            "responseElements" := records."responseElements",
            "additionalEventData" := records."additionalEventData",
            "serviceEventDetails" := records."serviceEventDetails",
            "resources" := records."resources"
        ) as r
    from {{ source('ingest', 'records') }} as records
    semi join objects using (object_key)
),

renamed as (
    select
        case when r.eventID is null then 'no-event-id:' || md5(to_json(r)::varchar) else r.eventID end as event_id,
        coalesce(r.recipientAccountId, r.userIdentity ->> 'accountId') as account_id,
        r.awsRegion as region,
        coalesce(
            try_strptime(r.eventTime, '%Y-%m-%dT%H:%M:%SZ'),
            try_strptime(r.eventTime, '%Y-%m-%dT%H:%M:%S.%fZ'),
            try_cast(r.eventTime as timestamp)
        ) as event_time,
        r.eventSource as event_source,
        r.eventName as event_name,
        r.userAgent as user_agent,
        r.sourceIPAddress as source_ip,
        nullif(r.userIdentity ->> 'type', '') as identity_type,
        nullif(r.userIdentity ->> 'arn', '') as principal_arn,
        nullif(r.userIdentity ->> 'principalId', '') as principal_id,
        nullif(r.userIdentity ->> 'userName', '') as user_name,
        nullif(r.userIdentity -> 'sessionContext' -> 'sessionIssuer' ->> 'arn', '') as session_issuer_arn,
        nullif(r.userIdentity -> 'sessionContext' -> 'sessionIssuer' ->> 'userName', '') as session_issuer_name,
        nullif(r.userIdentity -> 'onBehalfOf' ->> 'userId', '') as on_behalf_of_user_id,
        nullif(r.userIdentity ->> 'invokedBy', '') as invoked_by,
        nullif(r.userIdentity ->> 'accessKeyId', '') as access_key_id,
        r.requestParameters as request_parameters,
        r.responseElements as response_elements,
        r.additionalEventData as additional_event_data,
        r.serviceEventDetails as service_event_details,
        r.resources as resources,
        object_key
    from records
),

with_session as (
    select *, {{ session_name_sql() }} as session_name
    from renamed
),

deduplicated as (
    -- CloudTrail may deliver one event twice: same eventID.
    select *
    from with_session
    qualify row_number() over (partition by event_id order by object_key) = 1
)

select * from deduplicated
{% endmacro %}

{% macro athena__cloudtrail_events() %}
{%- do trailcreator.checked_name(var('cloudtrail_database', env_var('TRAILCREATOR_CLOUDTRAIL_DATABASE', 'default')), 'cloudtrail_database') -%}
{%- do trailcreator.checked_name(var('cloudtrail_table', env_var('TRAILCREATOR_CLOUDTRAIL_TABLE', 'cloudtrail_logs')), 'cloudtrail_table') -%}
with source as (
    select *, "$path" as object_key
    from {{ source('cloudtrail', 'events') }}
    where errorcode is null
      and {{ trailcreator.athena_trail_filter() }}
),

map_pairs as (
    select distinct event_source, event_name
    from {{ ref('stg_resource_map__entries') }}
),

mapped as (
    select source.*
    from source
    inner join map_pairs
        on source.eventsource = map_pairs.event_source and source.eventname = map_pairs.event_name
),

renamed as (
    select
        coalesce(eventid, 'no-event-id:' || to_hex(md5(to_utf8(
            concat_ws('|', eventtime, eventsource, eventname, useridentity.arn, requestparameters, responseelements)
        )))) as event_id,
        coalesce(recipientaccountid, useridentity.accountid) as account_id,
        awsregion as region,
        coalesce(
            try(date_parse(eventtime, '%Y-%m-%dT%H:%i:%sZ')),
            try(date_parse(eventtime, '%Y-%m-%dT%H:%i:%s.%fZ'))
        ) as event_time,
        eventsource as event_source,
        eventname as event_name,
        useragent as user_agent,
        sourceipaddress as source_ip,
        nullif(useridentity.type, '') as identity_type,
        nullif(useridentity.arn, '') as principal_arn,
        nullif(useridentity.principalid, '') as principal_id,
        nullif(useridentity.username, '') as user_name,
        nullif(useridentity.sessioncontext.sessionissuer.arn, '') as session_issuer_arn,
        nullif(useridentity.sessioncontext.sessionissuer.username, '') as session_issuer_name,
        nullif(useridentity.onbehalfof.userid, '') as on_behalf_of_user_id,
        nullif(useridentity.invokedby, '') as invoked_by,
        nullif(useridentity.accesskeyid, '') as access_key_id,
        try(json_parse(requestparameters)) as request_parameters,
        try(json_parse(responseelements)) as response_elements,
        try(json_parse(additionaleventdata)) as additional_event_data,
        try(json_parse(serviceeventdetails)) as service_event_details,
        cast(transform(resources, r -> map(array['ARN', 'accountId', 'type'], array[r.arn, r.accountid, r.type])) as json)
            as resources,
        object_key
    from mapped
),

with_session as (
    select *, {{ session_name_sql() }} as session_name
    from renamed
),

ranked as (
    -- CloudTrail may deliver one event twice: same eventID.  (No QUALIFY on Athena.)
    select *, row_number() over (partition by event_id order by object_key) as delivery_rank
    from with_session
),

deduplicated as (
    select
        event_id, account_id, region, event_time, event_source, event_name, user_agent, source_ip,
        identity_type, principal_arn, principal_id, user_name, session_issuer_arn, session_issuer_name,
        on_behalf_of_user_id, invoked_by, access_key_id, request_parameters, response_elements,
        additional_event_data, service_event_details, resources, object_key, session_name
    from ranked
    where delivery_rank = 1
)

select * from deduplicated
{% endmacro %}

{% macro athena_trail_filter() %}
    {#-
      The WHERE terms that keep an Athena query to the records asked for: the date window as a
      partition filter (var cloudtrail_partitioning: timestamp = partition projection on
      `timestamp` yyyy/MM/dd, the default; year_month_day = year/month/day partitions; none)
      plus the exact event time, and the accounts and regions.  Every value is checked, then
      written as a string literal.
    -#}
    {%- set start = var('start_date', env_var('TRAILCREATOR_START_DATE', '')) -%}
    {%- set end = var('end_date', env_var('TRAILCREATOR_END_DATE', '')) -%}
    {%- set partitioning = var('cloudtrail_partitioning', env_var('TRAILCREATOR_CLOUDTRAIL_PARTITIONING', 'timestamp')) -%}
    {%- set accounts = trailcreator.checked_list(var('accounts', env_var('TRAILCREATOR_ACCOUNTS', '')), '^[0-9]{12}$', 'accounts') -%}
    {%- set regions = trailcreator.checked_list(var('regions', env_var('TRAILCREATOR_REGIONS', '')), '^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$', 'regions') -%}
    {%- set terms = [] -%}
    {%- if partitioning not in ['timestamp', 'year_month_day', 'none'] -%}
        {{ exceptions.raise_compiler_error("cloudtrail_partitioning '" ~ partitioning ~ "' is not one of timestamp, year_month_day, none") }}
    {%- endif -%}
    {%- if start or end -%}
        {%- if not (start and end) -%}
            {{ exceptions.raise_compiler_error("start_date and end_date go together: set both (YYYY-MM-DD)") }}
        {%- endif -%}
        {%- set dt = modules.datetime -%}
        {%- set first = dt.datetime.strptime(start, '%Y-%m-%d').date() -%}
        {%- set last = dt.datetime.strptime(end, '%Y-%m-%d').date() -%}
        {%- set delivered_by = last + dt.timedelta(days=1) -%}  {#- late deliveries land in the next day's folder -#}
        {%- if partitioning == 'timestamp' -%}
            {%- do terms.append("\"timestamp\" between '" ~ first.strftime('%Y/%m/%d') ~ "' and '" ~ delivered_by.strftime('%Y/%m/%d') ~ "'") -%}
        {%- elif partitioning == 'year_month_day' -%}
            {%- set months = {} -%}
            {%- for i in range((delivered_by - first).days + 1) -%}
                {%- set d = first + dt.timedelta(days=i) -%}
                {%- do months.setdefault(d.strftime('%Y-%m'), []).append("'" ~ d.strftime('%d') ~ "'") -%}
            {%- endfor -%}
            {%- set parts = [] -%}
            {%- for ym, days in months.items() -%}
                {%- do parts.append("(\"year\" = '" ~ ym[:4] ~ "' and \"month\" = '" ~ ym[5:] ~ "' and \"day\" in (" ~ days | join(', ') ~ "))") -%}
            {%- endfor -%}
            {%- do terms.append("(" ~ parts | join(' or ') ~ ")") -%}
        {%- endif -%}
        {%- do terms.append("eventtime >= '" ~ first.isoformat() ~ "T00:00:00Z' and eventtime < '" ~ delivered_by.isoformat() ~ "T00:00:00Z'") -%}
    {%- endif -%}
    {%- if accounts -%}
        {%- do terms.append("recipientaccountid in ('" ~ accounts | join("', '") ~ "')") -%}
    {%- endif -%}
    {%- if regions -%}
        {%- do terms.append("awsregion in ('" ~ regions | join("', '") ~ "')") -%}
    {%- endif -%}
    {{- terms | join('\n      and ') if terms else 'true' -}}
{% endmacro %}

{% macro checked_list(value, pattern, what) %}
    {#- A comma-separated var as a list, every item matching `pattern` (so it is safe inside quotes). -#}
    {%- set items = [] -%}
    {%- for item in (value or '').replace(' ', ',').split(',') if item -%}
        {%- if not modules.re.match(pattern, item) -%}
            {{ exceptions.raise_compiler_error(what ~ ": '" ~ item ~ "' is not valid (expected " ~ pattern ~ ")") }}
        {%- endif -%}
        {%- do items.append(item) -%}
    {%- endfor -%}
    {{ return(items) }}
{% endmacro %}

{% macro checked_name(value, what) %}
    {#- A database or table name from a var: letters, digits and underscores only. -#}
    {%- if not modules.re.match('^[A-Za-z0-9_]+$', value or '') -%}
        {{ exceptions.raise_compiler_error(what ~ ": '" ~ value ~ "' is not valid: use letters, digits and underscores only") }}
    {%- endif -%}
{% endmacro %}
