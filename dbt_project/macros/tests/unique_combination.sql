{% test unique_combination(model, columns) %}
    {#- Fails with the duplicated key combinations of `columns` in `model`. -#}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
