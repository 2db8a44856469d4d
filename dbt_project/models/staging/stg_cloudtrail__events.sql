{#- The engine's form is in macros/staging.sql: trail objects on DuckDB, the CloudTrail table on Athena. -#}
{{ trailcreator.cloudtrail_events() }}
