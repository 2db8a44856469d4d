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
    {%- set regions = trailcreator.checked_list(var('regions', env_var('TRAILCREATOR_REGIONS', '')), '^[a-z]{2,}(-[a-z]+)+-[0-9]{1,2}$', 'regions') -%}
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
