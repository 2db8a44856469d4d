{#- The engine's form is in macros/links.sql: the kept STS records on DuckDB, the CloudTrail table on Athena. -#}
{{ trailcreator.cloudtrail_role_sessions() }}
