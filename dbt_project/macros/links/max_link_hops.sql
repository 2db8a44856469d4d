{% macro max_link_hops() %}
    {#- How many links a chain may follow before it is given up (a small number: chains are short). -#}
    {{ return(5) }}
{% endmacro %}
