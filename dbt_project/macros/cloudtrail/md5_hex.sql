{% macro md5_hex(expr) %}
    {#- VARCHAR: the MD5 digest of the text `expr`, in hex. -#}
    {{ return(adapter.dispatch('md5_hex', 'trailcreator')(expr)) }}
{% endmacro %}

{% macro duckdb__md5_hex(expr) %}md5({{ expr }}){% endmacro %}

{% macro athena__md5_hex(expr) %}to_hex(md5(to_utf8({{ expr }}))){% endmacro %}
