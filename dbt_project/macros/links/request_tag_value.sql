{% macro request_tag_value(json_expr, key) %}
    {#-
      VARCHAR: the value of the tag `key` (text, e.g. aws:cloudformation:stack-id) in a request's
      JSON, whatever shape the service gives its tags: {"key": K, "value": V} (any case, key
      first or last) or {K: V}.  Null when the request does not carry it.
    -#}
    {%- if not modules.re.match('^[A-Za-z0-9:_.-]+$', key) -%}
        {{ exceptions.raise_compiler_error("request_tag_value: key '" ~ key ~ "' must be letters, digits and : _ . -") }}
    {%- endif -%}
    {%- set k = key | replace('.', '\\.') -%}
    coalesce(
        nullif(regexp_extract({{ trailcreator.json_text(json_expr) }}, '"{{ k }}"\s*(?:,\s*"[Vv]alue"\s*)?:\s*"([^"]+)"', 1), ''),
        nullif(regexp_extract({{ trailcreator.json_text(json_expr) }}, '"[Vv]alue"\s*:\s*"([^"]+)"\s*,\s*"[Kk]ey"\s*:\s*"{{ k }}"', 1), '')
    )
{% endmacro %}
