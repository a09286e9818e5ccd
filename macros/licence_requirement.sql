{#- The licence requirement from the first fired rule in force in one view (RULES.md §7):
    none in force -> not_required; a No. 61 rule with a humanitarian end use -> exempt_notify
    (Art. 5: no licence, a report to MOFCOM); otherwise required. No. 18 has no such exemption. -#}
{% macro licence_requirement(basis_in_force, end_use_outcome) -%}
    case
        when {{ basis_in_force }} is null then 'not_required'
        when {{ basis_in_force }} like '61-%' and {{ end_use_outcome }} = 'humanitarian_notify' then 'exempt_notify'
        else 'required'
    end
{%- endmacro %}
