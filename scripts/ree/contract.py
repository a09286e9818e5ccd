"""The raw-extract contract (../shared/contracts/raw_extracts.md) as data.

One place says which extracts exist, their columns, types, keys and rules. The loader,
the great-expectations suites, the sample generator and the tests all read it, so a
contract change is made here once. `tests/python/test_contract.py` checks it against the
contract markdown itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. Each maps to one DuckDB type in the raw zone.
TEXT = "text"
DECIMAL = "decimal"
INTEGER = "integer"
DATE = "date"
TIMESTAMP = "timestamp"
COUNTRY = "country"  # ISO 3166-1 alpha-2
CURRENCY = "currency"  # ISO 4217 alpha-3
FLAG = "flag"  # Y / N / empty
ENUM = "enum"

DUCKDB_TYPES = {
    TEXT: "varchar",
    DECIMAL: "decimal(38, 12)",
    INTEGER: "bigint",
    DATE: "date",
    TIMESTAMP: "timestamp",
    COUNTRY: "varchar",
    CURRENCY: "varchar",
    FLAG: "varchar",
    ENUM: "varchar",
}

END_USE_CODES = (
    "civil",
    "military",
    "wmd",
    "terrorism",
    "logic_chips_le_14nm",
    "memory_chips_ge_256_layers",
    "advanced_chip_equipment",
    "ai_military_potential",
    "humanitarian_medical",
    "humanitarian_disaster",
)

# fct_declaration_obligations.obligation_type (contracts/marts.md); records name one of these.
OBLIGATION_TYPES = (
    "compliance_notice",
    "humanitarian_export_report",
    "customs_final_destination",
    "customs_control_code_remark",
    "mofcom_export_licence",
)

PART1_SUBSTANCES = (
    "Sm_metal",
    "Dy_metal",
    "Gd_metal",
    "Tb_metal",
    "Lu_metal",
    "Sc_metal",
    "Y_metal",
    "SmCo_alloy",
    "TbFe_alloy",
    "DyFe_alloy",
    "TbDyFe_alloy",
    "Dy_oxide",
    "Tb_oxide",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False  # a value must be present
    enum: tuple[str, ...] = ()
    # numeric bounds: (low, low_inclusive, high, high_inclusive); None = unbounded
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True
    pattern: str | None = None  # extra regex a text value must match

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.kind]


@dataclass(frozen=True)
class Extract:
    path: str  # `<system>/<extract>`, as in the contract
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    # (earlier, later): later >= earlier where both are present
    date_orders: tuple[tuple[str, str], ...] = ()
    description: str = ""

    @property
    def system(self) -> str:
        return self.path.split("/")[0]

    @property
    def name(self) -> str:
        return self.path.split("/")[1]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _ge0(name: str, **kw) -> Column:
    return Column(name, DECIMAL, low=0, **kw)


def _gt0(name: str, **kw) -> Column:
    return Column(name, DECIMAL, low=0, low_inclusive=False, **kw)


_EXTRACTED_AT = Column("extracted_at", TIMESTAMP)

EXTRACTS: tuple[Extract, ...] = (
    Extract(
        "erp/items",
        (
            Column("item_id", required=True),
            Column("description"),
            Column("item_type", ENUM, enum=("purchased", "manufactured")),
            Column(
                "product_form",
                ENUM,
                enum=("rare_earth_material", "permanent_magnet", "sputtering_target", "assembly", "other"),
            ),
            Column("magnet_type", ENUM, enum=("NdFeB", "SmCo", "ferrite", "AlNiCo", "other")),
            Column("target_material"),
            Column("material_form"),
            Column("country_of_manufacture", COUNTRY, required=True),
            Column("hs_code", pattern=r"^[0-9]{6,10}$"),
            Column("chinese_re_technology", FLAG),
            _ge0("standard_cost"),
            Column("standard_cost_currency", CURRENCY),
            _EXTRACTED_AT,
        ),
        key=("item_id",),
        description="one row per item (material, purchased part, manufactured product)",
    ),
    Extract(
        "erp/bom",
        (
            Column("parent_item_id", required=True),
            Column("component_item_id", required=True),
            _gt0("quantity_per", required=True),
            Column("valid_from", DATE, required=True),
            Column("valid_to", DATE),
            _EXTRACTED_AT,
        ),
        key=("parent_item_id", "component_item_id", "valid_from"),
        date_orders=(("valid_from", "valid_to"),),
        description="one row per component line of a parent item's bill of materials, per validity interval",
    ),
    Extract(
        "procurement/purchase_lines",
        (
            Column("po_line_id", required=True),
            Column("po_number"),
            Column("supplier_id"),
            Column("item_id", required=True),
            _gt0("quantity"),
            _ge0("unit_price"),
            Column("currency", CURRENCY),
            Column("order_date", DATE),
            Column("receipt_date", DATE),
            Column("country_of_origin", COUNTRY),
            _EXTRACTED_AT,
        ),
        key=("po_line_id",),
        date_orders=(("order_date", "receipt_date"),),
        description="one row per purchase-order receipt line",
    ),
    Extract(
        "certificates/material_declarations",
        (
            Column("certificate_id", required=True),
            Column("line_no", INTEGER, required=True),
            Column("supplier_id"),
            Column("item_id", required=True),
            Column(
                "document_type",
                ENUM,
                enum=("material_declaration", "compliance_notice", "origin_certificate"),
            ),
            Column("substance"),
            Column("element", pattern=r"^[A-Z][a-z]?$"),
            _ge0("mass_g_per_unit"),
            _ge0("content_value_per_unit"),
            Column("content_value_currency", CURRENCY),
            Column("origin_country", COUNTRY),
            Column("chinese_re_technology", FLAG),
            Column("declared_value_share_pct", DECIMAL, low=0, high=100),
            Column("issued_on", DATE),
            Column("valid_from", DATE, required=True),
            Column("valid_to", DATE),
            _EXTRACTED_AT,
        ),
        key=("certificate_id", "line_no"),
        date_orders=(("valid_from", "valid_to"),),
        description="one row per substance line of a supplier document",
    ),
    Extract(
        "customs/export_declarations",
        (
            Column("declaration_id", required=True),
            Column("line_no", INTEGER, required=True),
            Column("export_date", DATE, required=True),
            Column("exporter_entity_id", required=True),
            Column("exporter_country", COUNTRY, required=True),
            Column("item_id", required=True),
            _gt0("quantity", required=True),
            _ge0("line_value", required=True),
            Column("currency", CURRENCY, required=True),
            Column("destination_country", COUNTRY, required=True),
            Column("consignee_party_id"),
            Column("end_user_party_id"),
            Column("end_use_code", ENUM, enum=END_USE_CODES),
            Column("end_use_statement"),
            Column("hs_code"),
            Column("customs_remarks"),
            _EXTRACTED_AT,
        ),
        key=("declaration_id", "line_no"),
        description="one row per line of an export customs declaration",
    ),
    Extract(
        "parties/parties",
        (
            Column("party_id", required=True),
            Column("name", required=True),
            Column("name_local"),
            Column("country", COUNTRY),
            Column(
                "party_type",
                ENUM,
                enum=("commercial", "military", "government", "research", "ngo", "individual"),
            ),
            Column("aliases"),
            _EXTRACTED_AT,
        ),
        key=("party_id",),
        description="one row per counterparty (consignee, end user, their owners)",
    ),
    Extract(
        "parties/ownership",
        (
            Column("owner_party_id", required=True),
            Column("owned_party_id", required=True),
            Column("ownership_pct", DECIMAL, required=True, low=0, low_inclusive=False, high=100),
            Column("valid_from", DATE),
            Column("valid_to", DATE),
            _EXTRACTED_AT,
        ),
        key=("owner_party_id", "owned_party_id", "valid_from"),
        required=False,
        date_orders=(("valid_from", "valid_to"),),
        description="one row per shareholding edge, per validity interval",
    ),
    Extract(
        "licences/licences",
        (
            Column("licence_id", required=True),
            Column("licence_number"),
            Column("licence_type", ENUM, enum=("individual", "general")),
            Column("holder_entity_id", required=True),
            Column("item_id"),
            Column("destination_country", COUNTRY),
            Column("end_user_party_id"),
            _ge0("quantity_authorised"),
            _ge0("value_authorised"),
            Column("currency", CURRENCY),
            Column("valid_from", DATE, required=True),
            Column("valid_to", DATE, required=True),
            _EXTRACTED_AT,
        ),
        key=("licence_id",),
        required=False,
        date_orders=(("valid_from", "valid_to"),),
        description="one row per MOFCOM dual-use export licence held",
    ),
    Extract(
        "erp/legal_entities",
        (
            Column("entity_id", required=True),
            Column("legal_name", required=True),
            Column("legal_name_local"),
            Column("country", COUNTRY, required=True),
            Column("address"),
            Column("signatory_name"),
            _EXTRACTED_AT,
        ),
        key=("entity_id",),
        required=False,
        description="one row per exporting entity of our own (exporter_entity_id, licence holder)",
    ),
    Extract(
        "compliance/obligation_records",
        (
            Column("record_id", required=True),
            Column("shipment_line_id", required=True),
            Column("obligation_type", ENUM, required=True, enum=OBLIGATION_TYPES),
            Column("fulfilled_on", DATE, required=True),
            Column("reference"),
            Column("recorded_by"),
            _EXTRACTED_AT,
        ),
        key=("record_id",),
        required=False,
        description="one row per record that an obligation was met (a notice sent, a report filed)",
    ),
    Extract(
        "reference/fx_rates",
        (
            Column("rate_date", DATE, required=True),
            Column("currency", CURRENCY, required=True),
            _gt0("units_per_eur", required=True),
            _EXTRACTED_AT,
        ),
        key=("rate_date", "currency"),
        required=False,
        description="one row per (rate_date, currency): units of currency per 1 EUR",
    ),
    Extract(
        "reference/rare_earth_prices",
        (
            Column("price_date", DATE, required=True),
            Column("substance", required=True),
            _gt0("price_per_kg", required=True),
            Column("currency", CURRENCY, required=True),
            Column("source"),
            _EXTRACTED_AT,
        ),
        key=("price_date", "substance"),
        required=False,
        description="one row per (price_date, substance): price per kg",
    ),
    Extract(
        "reference/restricted_parties",
        (
            Column(
                "list_id",
                ENUM,
                required=True,
                enum=("mofcom_control_list", "mofcom_watch_list", "unreliable_entity_list"),
            ),
            Column("entry_id", required=True),
            Column("name", required=True),
            Column("name_local"),
            Column("aliases"),
            Column("country", COUNTRY),
            Column("listed_on", DATE, required=True),
            Column("delisted_on", DATE),
            Column("source_ref"),
            _EXTRACTED_AT,
        ),
        key=("entry_id",),
        required=False,
        date_orders=(("listed_on", "delisted_on"),),
        description="one row per list entry",
    ),
    Extract(
        "reference/screening_decisions",
        (
            Column("party_id", required=True),
            Column("entry_id", required=True),
            Column("decision", ENUM, required=True, enum=("confirmed_match", "false_positive")),
            Column("decided_on", DATE),
            Column("decided_by"),
            Column("note"),
            _EXTRACTED_AT,
        ),
        key=("party_id", "entry_id"),
        required=False,
        description="one row per analyst decision on a (party, list entry) pair",
    ),
)

BY_PATH: dict[str, Extract] = {e.path: e for e in EXTRACTS}


def extract(path: str) -> Extract:
    return BY_PATH[path]


@dataclass
class _Registry:
    """ISO code lists, loaded once (pycountry ships them)."""

    countries: frozenset[str] = field(default_factory=frozenset)
    currencies: frozenset[str] = field(default_factory=frozenset)


_ISO = _Registry()


def iso_countries() -> frozenset[str]:
    if not _ISO.countries:
        import pycountry

        # XK (Kosovo) is user-assigned but used by customs systems; accept it.
        _ISO.countries = frozenset({c.alpha_2 for c in pycountry.countries} | {"XK"})
    return _ISO.countries


def iso_currencies() -> frozenset[str]:
    if not _ISO.currencies:
        import pycountry

        _ISO.currencies = frozenset(c.alpha_3 for c in pycountry.currencies)
    return _ISO.currencies
