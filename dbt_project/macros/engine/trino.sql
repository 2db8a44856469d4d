{#-
  `dbt build --target trino`: Athena engine 3 is Trino, so every engine form on Trino is the
  Athena one (athena__*), named here once rather than copied.  dbt dispatches on the adapter
  type (trino__, then default__), hence one line per macro.  A new athena__ macro needs its
  line here: tests/test_trino_models.py checks that each has one.
-#}
{% macro trino__cloudtrail_records(role_sessions) %}{{ return(trailcreator.athena__cloudtrail_records(role_sessions)) }}{% endmacro %}
{% macro trino__record_fingerprint() %}{{ return(trailcreator.athena__record_fingerprint()) }}{% endmacro %}
{% macro trino__parse_event_time(expr) %}{{ return(trailcreator.athena__parse_event_time(expr)) }}{% endmacro %}
{% macro trino__identity_field(path) %}{{ return(trailcreator.athena__identity_field(path)) }}{% endmacro %}
{% macro trino__json_column(expr) %}{{ return(trailcreator.athena__json_column(expr)) }}{% endmacro %}
{% macro trino__resources_json(expr) %}{{ return(trailcreator.athena__resources_json(expr)) }}{% endmacro %}
{% macro trino__md5_hex(expr) %}{{ return(trailcreator.athena__md5_hex(expr)) }}{% endmacro %}
{% macro trino__event_document() %}{{ return(trailcreator.athena__event_document()) }}{% endmacro %}
{% macro trino__epoch_seconds(ts) %}{{ return(trailcreator.athena__epoch_seconds(ts)) }}{% endmacro %}
{% macro trino__left_chars(expr, n) %}{{ return(trailcreator.athena__left_chars(expr, n)) }}{% endmacro %}
{% macro trino__regexp_full_match(expr, pattern) %}{{ return(trailcreator.athena__regexp_full_match(expr, pattern)) }}{% endmacro %}
{% macro trino__regexp_replace_all(expr, pattern, replacement) %}{{ return(trailcreator.athena__regexp_replace_all(expr, pattern, replacement)) }}{% endmacro %}
{% macro trino__str_contains(haystack, needle) %}{{ return(trailcreator.athena__str_contains(haystack, needle)) }}{% endmacro %}
{% macro trino__json_scalar(expr, path) %}{{ return(trailcreator.athena__json_scalar(expr, path)) }}{% endmacro %}
{% macro trino__json_text(expr) %}{{ return(trailcreator.athena__json_text(expr)) }}{% endmacro %}
{% macro trino__instances_launched(events) %}{{ return(trailcreator.athena__instances_launched(events)) }}{% endmacro %}
{#- the map's id extraction, compiled by the Athena dialect (macros/generated/resource_map.sql) -#}
{% macro trino__extract_resource_ids(events) %}{{ return(trailcreator.athena__extract_resource_ids(events)) }}{% endmacro %}
