{#- The compiled resource map (macros/generated/resource_map.sql, written by `trailcreator compile-map`). -#}
with entries as (
    {{ resource_map_rows() }}
)

select * from entries
