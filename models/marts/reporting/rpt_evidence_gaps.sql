-- The evidence chase list: one row per missing or weak piece of evidence (a gap type on an
-- item, or a stale currency), with who to ask, the declaration lines that depend on it
-- (exported in the 12 months up to as_of_date or later, or with an obligation still open),
-- their value, how many determinations could flip once it arrives, ranked.
--
-- A gap counts for a line only where the line shows it: the line's data_quality_flags
-- (fct_shipment_determinations) carry the flag, so a finding that does not matter to the
-- line's determination (e.g. content figures of a line the value rule does not reach) is
-- not chased. The contribution rows of the value-ratio models (value_basis, value_problem,
-- is_origin_unverified, is_fx_stale) say which component it sits on; a flag that no
-- contribution carries (free-of-charge line without a standard cost, unknown exported
-- item, an item-level missing BOM or unknown code) is attributed to the exported item.
with determinations as (
    select * from {{ ref('fct_shipment_determinations') }}
),

obligations as (
    select * from {{ ref('fct_declaration_obligations') }}
),

valued as (
    select * from {{ ref('int_declaration_lines_valued') }}
),

contributions as (
    select * from {{ ref('int_declaration_line_contributions') }}
),

certificates as (
    select * from {{ ref('stg_certificates__material_declarations') }}
),

purchase_lines as (
    select * from {{ ref('stg_procurement__purchase_lines') }}
),

fx_days as (
    select * from {{ ref('int_fx_rates_daily') }}
),

bom_paths as (
    select * from {{ ref('int_boms_exploded') }}
),

items as (
    select * from {{ ref('int_items_classified') }}
),

-- The one place that says which finding is which gap. evidence_flag: the name a finding
-- has on a contribution (value_basis / value_problem, or the boolean's flag name) or on
-- the line (data_quality_flags); line_flag: the data_quality_flags entry the line shows
-- for it; ask_for: what the purchasing team asks for. missing_bom, unknown_code and
-- origin_conflict are read under the names marts.md and RULES.md give them: they light up
-- as soon as the value-ratio models emit them.
gap_types as (
    select
        gap_type_rows.evidence_flag,
        gap_type_rows.gap_type,
        gap_type_rows.line_flag,
        gap_type_rows.ask_for
    from (
        values
        (
            'missing_certificate', 'missing_certificate', 'missing_certificate',
            'a material declaration or certificate stating the rare-earth content'
        ),
        (
            'missing_item', 'missing_item', 'missing_item',
            'the item master row (the item is unknown to the ERP extract)'
        ),
        (
            'missing_value', 'missing_value', 'missing_value',
            'the content value (or a standard cost for a free-of-charge line)'
        ),
        (
            'missing_delivered_cost', 'missing_price', 'missing_value',
            'the purchase price (a goods receipt)'
        ),
        (
            'missing_reference_price', 'missing_price', 'missing_value',
            'a reference price for the substance (reference/rare_earth_prices.csv)'
        ),
        (
            'missing_bom', 'missing_bom', 'missing_bom',
            'the bill of materials valid on the export date'
        ),
        (
            'origin_unverified', 'origin_unverified', 'origin_unverified',
            'an origin certificate for the rare-earth content'
        ),
        (
            'origin_conflict', 'origin_unverified', 'origin_conflict',
            'an origin certificate that settles the conflicting origins'
        ),
        (
            'unknown_code', 'unknown_code', 'unknown_code',
            'the correct magnet type, target material or code'
        ),
        (
            'fx_stale', 'fx_stale', 'fx_stale',
            'ECB rates for the export dates (reference/fx_rates.csv)'
        )
    ) as gap_type_rows (evidence_flag, gap_type, line_flag, ask_for)
),

-- lines that can still matter: exported in the last 12 months (or later), or owing something
window_lines as (
    select
        determinations.shipment_line_id,
        determinations.item_id,
        determinations.export_date,
        determinations.currency,
        determinations.line_value_reporting,
        determinations.compliance_status,
        determinations.data_quality_flags,
        valued.content_value_headroom
    from determinations
    left join valued
        on determinations.shipment_line_id = valued.shipment_line_id
    where
        determinations.export_date >= {{ as_of_date() }} - interval 12 month
        or exists (
            select 1 from obligations
            where
                obligations.shipment_line_id = determinations.shipment_line_id
                and obligations.status in ('open', 'overdue')
        )
),

line_flags as (
    select
        window_lines.shipment_line_id,
        flags.line_flag
    from window_lines
    cross join unnest(string_split(window_lines.data_quality_flags, ';')) as flags (line_flag)
    where flags.line_flag != ''
),

-- every finding a contribution carries, under its evidence_flag name
contribution_findings as (
    select
        shipment_line_id,
        component_item_id,
        value_basis as evidence_flag,
        cn_part1_value_line_currency
    from contributions
    union
    select
        shipment_line_id,
        component_item_id,
        value_problem as evidence_flag,
        cn_part1_value_line_currency
    from contributions
    where value_problem is not null
    union
    select
        shipment_line_id,
        component_item_id,
        'origin_unverified' as evidence_flag,
        cn_part1_value_line_currency
    from contributions
    where is_origin_unverified
),

component_gaps as (
    select
        line_flags.shipment_line_id,
        gap_types.gap_type,
        gap_types.line_flag,
        contribution_findings.component_item_id as item_id,
        cast(null as varchar) as evidence_ref,
        -- what the component contributes to the line's China-origin Part 1 value (line currency)
        sum(abs(contribution_findings.cn_part1_value_line_currency)) as gap_value_line_currency
    from line_flags
    inner join gap_types
        on line_flags.line_flag = gap_types.line_flag
    inner join contribution_findings
        on
            line_flags.shipment_line_id = contribution_findings.shipment_line_id
            and gap_types.evidence_flag = contribution_findings.evidence_flag
    where gap_types.gap_type != 'fx_stale'
    group by all
),

-- NdFeB magnets whose composition no document states, in the line's BOM on the export
-- date (or the exported item itself): a missing_certificate that no contribution carries
-- (the magnet sits below a component that speaks for its content, or decides the origin
-- rule) is theirs
undetermined_magnets as (
    select distinct
        window_lines.shipment_line_id,
        bom_paths.node_item_id as item_id
    from window_lines
    inner join bom_paths
        on
            window_lines.item_id = bom_paths.root_item_id
            and window_lines.export_date between bom_paths.path_valid_from and bom_paths.path_valid_to
            and not bom_paths.is_cycle
    inner join items
        on bom_paths.node_item_id = items.item_id
    where items.is_unclassifiable_magnet
),

-- a flag no contribution accounts for sits on those magnets, else on the exported item
item_gaps as (
    select
        line_flags.shipment_line_id,
        gap_types.gap_type,
        gap_types.line_flag,
        coalesce(undetermined_magnets.item_id, window_lines.item_id) as item_id,
        cast(null as varchar) as evidence_ref,
        cast(null as decimal(38, 12)) as gap_value_line_currency
    from line_flags
    inner join gap_types
        on
            line_flags.line_flag = gap_types.line_flag
            and gap_types.evidence_flag = gap_types.line_flag
    inner join window_lines
        on line_flags.shipment_line_id = window_lines.shipment_line_id
    left join undetermined_magnets
        on
            line_flags.shipment_line_id = undetermined_magnets.shipment_line_id
            and gap_types.gap_type = 'missing_certificate'
    where
        gap_types.gap_type != 'fx_stale'
        and not exists (
            select 1 from component_gaps
            where
                component_gaps.shipment_line_id = line_flags.shipment_line_id
                and component_gaps.line_flag = line_flags.line_flag
        )
),

-- a stale rate is a currency to chase, not an item: the line's currency and the currencies
-- of the contributions converted into it, where the rate used on the export date is stale
-- (EUR is 1 by definition and is never chased)
fx_gaps as (
    select
        stale.shipment_line_id,
        'fx_stale' as gap_type,
        'fx_stale' as line_flag,
        cast(null as varchar) as item_id,
        stale.currency as evidence_ref,
        sum(abs(stale.cn_part1_value_line_currency)) as gap_value_line_currency
    from (
        select
            window_lines.shipment_line_id,
            window_lines.export_date,
            window_lines.currency,
            cast(null as decimal(38, 12)) as cn_part1_value_line_currency
        from window_lines
        union all
        select
            contributions.shipment_line_id,
            contributions.export_date,
            contributions.content_currency as currency,
            contributions.cn_part1_value_line_currency
        from contributions
        where contributions.is_fx_stale
    ) as stale
    inner join line_flags
        on
            stale.shipment_line_id = line_flags.shipment_line_id
            and line_flags.line_flag = 'fx_stale'
    inner join fx_days
        on
            stale.currency = fx_days.currency
            and stale.export_date = fx_days.calendar_date
    where fx_days.is_stale and stale.currency != 'EUR'
    group by all
),

-- a certificate that speaks for an item on our lines and runs out within 60 days of
-- as_of_date, with no later one to take over
certificate_validity as (
    select
        item_id,
        max(valid_to) as expires_on,
        arg_max(certificate_id, valid_to) as certificate_id
    from certificates
    group by item_id
),

expiring_gaps as (
    select
        lines_items.shipment_line_id,
        'certificate_expiring' as gap_type,
        cast(null as varchar) as line_flag,
        lines_items.item_id,
        certificate_validity.certificate_id as evidence_ref,
        sum(abs(lines_items.cn_part1_value_line_currency)) as gap_value_line_currency
    from (
        select
            contributions.shipment_line_id,
            contributions.component_item_id as item_id,
            contributions.cn_part1_value_line_currency
        from contributions
        inner join window_lines
            on contributions.shipment_line_id = window_lines.shipment_line_id
        union all
        select
            shipment_line_id,
            item_id,
            cast(null as decimal(38, 12)) as cn_part1_value_line_currency
        from window_lines
    ) as lines_items
    inner join certificate_validity
        on lines_items.item_id = certificate_validity.item_id
    where certificate_validity.expires_on between {{ as_of_date() }} and {{ as_of_date() }} + interval 60 day
    group by all
),

line_gaps as (
    select * from component_gaps
    union all by name
    select * from item_gaps
    union all by name
    select * from fx_gaps
    union all by name
    select * from expiring_gaps
),

-- who to ask: the latest supplier of the item (latest receipt), else the issuer of its
-- latest certificate
latest_suppliers as (
    select
        item_id,
        arg_max(supplier_id, receipt_date) as supplier_id
    from (
        select
            item_id,
            supplier_id,
            coalesce(receipt_date, order_date) as receipt_date
        from purchase_lines
        where supplier_id is not null
    ) as receipts
    group by item_id
),

certificate_suppliers as (
    select
        item_id,
        arg_max(supplier_id, coalesce(issued_on, valid_from)) as supplier_id
    from certificates
    where supplier_id is not null
    group by item_id
),

-- each (gap, line) once, even when the gap sits on several of the line's components
gap_lines as (
    select
        shipment_line_id,
        gap_type,
        item_id,
        evidence_ref,
        sum(gap_value_line_currency) as gap_value_line_currency
    from line_gaps
    group by all
),

gaps as (
    select
        md5(line_gaps.gap_type || '|' || coalesce(line_gaps.item_id, '') || '|' || coalesce(line_gaps.evidence_ref, ''))
            as evidence_gap_id,
        line_gaps.gap_type,
        line_gaps.item_id,
        line_gaps.evidence_ref,
        count(distinct line_gaps.shipment_line_id) as lines_affected,
        sum(declaration_lines.line_value_reporting) as value_at_stake_reporting,
        count(distinct line_gaps.shipment_line_id) filter (
            where
            declaration_lines.compliance_status = 'review'
            or (
                declaration_lines.content_value_headroom is not null
                and line_gaps.gap_value_line_currency >= abs(declaration_lines.content_value_headroom)
            )
        ) as lines_flipping,
        min(declaration_lines.export_date) as earliest_export_date,
        max(declaration_lines.export_date) as latest_export_date
    from gap_lines as line_gaps
    inner join window_lines as declaration_lines
        on line_gaps.shipment_line_id = declaration_lines.shipment_line_id
    group by all
),

-- what to ask for, per gap type (its own finding's wording)
gap_asks as (
    select
        gap_type,
        min(ask_for) as ask_for
    from gap_types
    where evidence_flag = line_flag
    group by gap_type
),

final as (
    select
        gaps.evidence_gap_id,
        row_number() over (
            order by gaps.lines_flipping desc, gaps.value_at_stake_reporting desc nulls last, gaps.evidence_gap_id asc
        ) as priority_rank,
        gaps.gap_type,
        gaps.item_id,
        gaps.evidence_ref,
        coalesce(latest_suppliers.supplier_id, certificate_suppliers.supplier_id) as supplier_id,
        case
            when gaps.gap_type = 'certificate_expiring'
                then 'a renewed certificate to follow ' || gaps.evidence_ref
            else gap_asks.ask_for
        end as ask_for,
        gaps.lines_affected,
        gaps.value_at_stake_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        gaps.lines_flipping,
        gaps.earliest_export_date,
        gaps.latest_export_date,
        certificate_validity.expires_on,
        {{ as_of_date() }} as as_of_date
    from gaps
    left join gap_asks
        on gaps.gap_type = gap_asks.gap_type
    left join latest_suppliers
        on gaps.item_id = latest_suppliers.item_id
    left join certificate_suppliers
        on gaps.item_id = certificate_suppliers.item_id
    left join certificate_validity
        on
            gaps.item_id = certificate_validity.item_id
            and gaps.gap_type = 'certificate_expiring'
)

select * from final
