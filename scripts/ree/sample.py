"""`ree sample`: a deterministic generator of a realistic landing folder.

The folder is laid out exactly as ../shared/contracts/raw_extracts.md says, every column
and enum taken from `ree.contract`. One seed gives byte-identical files: every random
draw comes from one `random.Random(seed)` in a fixed order, every timestamp is derived
from the data and the seed (never from the clock), and nothing iterates a set.

What is generated (sizes grow with the number of declaration lines N):

- a manufacturer's ERP: rare-earth materials (Part 1 forms and other forms), permanent
  magnets, sputtering targets, purchased parts, and assemblies in five BOM levels
  (finished goods -> modules -> sub-assemblies -> parts -> in-house magnets/targets ->
  materials), with BOM lines replaced mid-period and no cycles;
- purchase receipts for every purchased item, in seven currencies, origins partly unknown;
- supplier documents: material declarations (mass and/or value per unit, mixed-origin
  lots as several lines, China-origin technology flags), compliance notices with a
  declared value share, origin certificates; some magnets have none at all;
- counterparties in local scripts with aliases, shareholding chains, a handful of
  restricted-list entries (synthetic names) with the parties that match them, analyst
  decisions, MOFCOM licences;
- N export declaration lines, one file per export date over the last `months` (18) up to
  2026-12-31, written in chunks as they are drawn: memory does not grow with N.

The size follows `Shape.for_lines(N)`: the shape of a large manufacturer (10 M lines:
≈200 k items, ≈1 M BOM rows with ≈1.5 validity intervals per component line, ≈160 k
certificate lines, 2.5 M declarations of ≈4 lines, ≈150 k distinct exported items, each
shipped on many dates) scaled linearly; each figure can be set (`ree sample --help`). Small
N keep a minimum world in which every kind of item and rule occurs.

A fixed set of "scenario" declarations (Chinese domestic exports of Part 1 materials,
Namibia, Hong Kong/Macao/Taiwan, the end-use statements that must be classified, free
of charge lines, listed end users, dates on the regulatory boundaries) is always part of
the N lines, so that even a small sample exercises every rule.

`reference/fx_rates.csv` is not written unless asked (`with_fx_rates=True`): the
warehouse ships ECB rates and a user file would replace them.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import re
import sys
import time
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from ree import contract

LAST_EXPORT = dt.date(2026, 12, 31)  # the daily files cover Shape.months up to this date
CHUNK_ROWS = 20_000  # declaration lines built before one write

# Rough units per EUR, to price things consistently across currencies (not reference data).
FX = {"EUR": 1.0, "USD": 1.10, "JPY": 162.0, "CNY": 7.85, "KRW": 1480.0, "GBP": 0.85, "CHF": 0.95}
CURRENCY_DECIMALS = {"JPY": 0, "KRW": 0}
COUNTRY_CURRENCY = {
    "DE": "EUR",
    "FR": "EUR",
    "IT": "EUR",
    "NL": "EUR",
    "EE": "EUR",
    "ES": "EUR",
    "AT": "EUR",
    "JP": "JPY",
    "CN": "CNY",
    "KR": "KRW",
    "GB": "GBP",
    "CH": "CHF",
}

# substance code -> price in EUR per kg (rough 2025 levels; only used to make values plausible)
SUBSTANCE_PRICE_EUR = {
    "Sm_metal": 30.0,
    "Dy_metal": 350.0,
    "Gd_metal": 32.0,
    "Tb_metal": 1300.0,
    "Lu_metal": 1500.0,
    "Sc_metal": 3500.0,
    "Y_metal": 45.0,
    "SmCo_alloy": 55.0,
    "TbFe_alloy": 900.0,
    "DyFe_alloy": 280.0,
    "TbDyFe_alloy": 700.0,
    "Dy_oxide": 230.0,
    "Tb_oxide": 1000.0,
    "Nd_metal": 75.0,
    "Pr_metal": 80.0,
    "NdPr_metal": 72.0,
    "Ho_metal": 90.0,
    "DyF3": 260.0,
    "TbF3": 1050.0,
    "Sm_oxide": 2.5,
    "Gd_oxide": 20.0,
    "Y_oxide": 6.0,
    "Nd_oxide": 60.0,
    "NdPr_oxide": 58.0,
    "Ce_oxide": 1.2,
    "La_oxide": 0.8,
    "Er_oxide": 40.0,
    "Eu_oxide": 25.0,
    "Lu_oxide": 700.0,
    "Sc_oxide": 900.0,
    "Ho_oxide": 65.0,
    "TbCo_alloy": 800.0,
    "GdCo_alloy": 40.0,
    "GdFe_alloy": 35.0,
    "ScAl_alloy": 600.0,
    "YAl_alloy": 40.0,
    "YCo_alloy": 45.0,
}
ELEMENT_NAMES = {
    "Sm": "Samarium",
    "Dy": "Dysprosium",
    "Gd": "Gadolinium",
    "Tb": "Terbium",
    "Lu": "Lutetium",
    "Sc": "Scandium",
    "Y": "Yttrium",
    "Nd": "Neodymium",
    "Pr": "Praseodymium",
    "Ho": "Holmium",
    "Ce": "Cerium",
    "La": "Lanthanum",
    "Er": "Erbium",
    "Eu": "Europium",
}
# No. 18 (1C902-1C908): element -> control code stem
NO18_CODES = {"Sm": "1C902", "Gd": "1C903", "Tb": "1C904", "Dy": "1C905", "Lu": "1C906", "Sc": "1C907", "Y": "1C908"}

# Our legal entities: id, country, declaration currencies (weighted), share of declarations.
ENTITIES = (
    ("LE-DE01", "DE", (("EUR", 1.0),), 20),
    ("LE-JP01", "JP", (("JPY", 0.7), ("USD", 0.3)), 14),
    ("LE-KR01", "KR", (("KRW", 0.6), ("USD", 0.4)), 9),
    ("LE-US01", "US", (("USD", 1.0),), 14),
    ("LE-VN01", "VN", (("USD", 1.0),), 9),
    ("LE-MX01", "MX", (("USD", 1.0),), 7),
    ("LE-CN01", "CN", (("CNY", 0.6), ("USD", 0.4)), 12),
    ("LE-CN02", "CN", (("USD", 0.8), ("EUR", 0.2)), 6),
    ("LE-TW01", "TW", (("USD", 1.0),), 9),
)
ENTITIES_BY_ID = {e[0]: e for e in ENTITIES}
PLANT_COUNTRIES = (("DE", 22), ("JP", 16), ("KR", 10), ("US", 12), ("VN", 12), ("MX", 10), ("CN", 12), ("TW", 6))

DESTINATIONS = (
    ("US", 14),
    ("DE", 10),
    ("JP", 8),
    ("KR", 6),
    ("CN", 8),
    ("HK", 4),
    ("TW", 5),
    ("MO", 0.6),
    ("IN", 5),
    ("NA", 1.2),
    ("GB", 3),
    ("FR", 3),
    ("IT", 2),
    ("NL", 2),
    ("MX", 3),
    ("BR", 2),
    ("VN", 3),
    ("TH", 2),
    ("SG", 2),
    ("MY", 2),
    ("TR", 1.5),
    ("AE", 1),
    ("IL", 1),
    ("CA", 2),
    ("AU", 1.5),
    ("PL", 1.5),
    ("CZ", 1),
    ("SE", 1),
    ("ES", 1.5),
    ("RU", 0.5),
    ("ZA", 0.5),
    ("CH", 1),
)

SUPPLIER_COUNTRIES = {
    "rare_earth_material": (("CN", 55), ("MY", 8), ("EE", 4), ("JP", 8), ("US", 6), ("VN", 6), ("FR", 3), ("IN", 3)),
    "permanent_magnet": (
        ("CN", 55),
        ("JP", 15),
        ("DE", 6),
        ("VN", 8),
        ("KR", 4),
        ("US", 3),
        ("TW", 3),
        ("TH", 4),
        ("PH", 2),
    ),
    "sputtering_target": (("JP", 30), ("US", 20), ("CN", 25), ("KR", 10), ("DE", 10), ("TW", 5)),
    "assembly": (("CN", 30), ("JP", 15), ("DE", 10), ("KR", 8), ("TW", 10), ("VN", 8), ("MX", 6), ("US", 8), ("TH", 5)),
    "other": (
        ("CN", 30),
        ("DE", 15),
        ("JP", 10),
        ("US", 10),
        ("KR", 5),
        ("MX", 10),
        ("VN", 10),
        ("PL", 5),
        ("CZ", 5),
        ("GB", 2),
        ("CH", 2),
    ),
}
# where the rare earth in a lot was first produced (empty = unknown)
RE_ORIGINS = (("CN", 68), ("MY", 8), ("US", 4), ("EE", 2), ("JP", 4), ("VN", 3), ("AU", 1), ("", 10))

NON_PART1_FORMS = (
    "Nd_metal",
    "Pr_metal",
    "NdPr_metal",
    "Ho_metal",
    "DyF3",
    "TbF3",
    "Sm_oxide",
    "Gd_oxide",
    "Y_oxide",
    "Nd_oxide",
    "NdPr_oxide",
    "Ce_oxide",
    "La_oxide",
    "Er_oxide",
    "Eu_oxide",
    "Lu_oxide",
    "Sc_oxide",
    "Ho_oxide",
)

# target_material -> (substance declared, RE mass fraction)
TARGETS = {
    "Tb": ("Tb_metal", 1.0),
    "TbCo": ("TbCo_alloy", 0.35),
    "TbDyFe": ("TbDyFe_alloy", 1.0),
    "Gd": ("Gd_metal", 1.0),
    "GdFe": ("GdFe_alloy", 0.3),
    "GdCo": ("GdCo_alloy", 0.3),
    "Sm": ("Sm_metal", 1.0),
    "SmCo": ("SmCo_alloy", 1.0),
    "Dy": ("Dy_metal", 1.0),
    "Lu": ("Lu_metal", 1.0),
    "Sc": ("Sc_metal", 1.0),
    "ScAl": ("ScAl_alloy", 0.2),
    "Y": ("Y_metal", 1.0),
    "YAl": ("YAl_alloy", 0.1),
    "YCo": ("YCo_alloy", 0.3),
    "Nd": ("Nd_metal", 1.0),
}
TARGET_WEIGHTS = (
    ("Tb", 8),
    ("TbCo", 10),
    ("TbDyFe", 3),
    ("Gd", 5),
    ("GdFe", 3),
    ("GdCo", 3),
    ("Sm", 2),
    ("SmCo", 3),
    ("Dy", 4),
    ("Lu", 2),
    ("Sc", 4),
    ("ScAl", 12),
    ("Y", 4),
    ("YAl", 6),
    ("YCo", 2),
    ("Nd", 3),
)

# (description, hs_code, quantity range for export lines, unit cost range in EUR)
OTHER_PARTS = (
    ("Ferro-boron alloy FeB 18%", "7202999000", (100, 5000), (2.0, 4.0)),
    ("Electrolytic iron flakes", "7203900000", (100, 5000), (1.0, 2.0)),
    ("Cobalt metal cathodes", "8105200000", (10, 500), (25.0, 35.0)),
    ("Copper backing plate", "7409110000", (5, 200), (40.0, 150.0)),
    ("Copper magnet wire 0.5 mm", "8544110000", (50, 5000), (8.0, 12.0)),
    ("Electrical steel lamination M270-35A", "7225110000", (100, 10000), (1.5, 3.0)),
    ("Controller PCB assembly", "85371091", (10, 2000), (15.0, 120.0)),
    ("Aluminium die-cast housing", "7616999000", (10, 2000), (5.0, 60.0)),
    ("Deep-groove ball bearing 6204-2RS", "848210", (100, 10000), (0.8, 3.0)),
    ("Stainless steel shaft", "848310", (50, 5000), (2.0, 15.0)),
    ("M12 connector 8-pin", "8536694000", (100, 10000), (1.5, 6.0)),
    ("Cable harness", "8544429000", (50, 5000), (3.0, 40.0)),
    ("Epoxy potting compound", "3907300000", (10, 1000), (6.0, 20.0)),
    ("Glass-fibre sleeve", "7019900000", (100, 5000), (0.2, 1.0)),
    ("Roasted coffee beans (trade-fair samples)", "0901210000", (1, 50), (12.0, 25.0)),
    ("Green tea gift boxes", "0902100000", (1, 40), (8.0, 30.0)),
    ("Wooden pallets", "4415200000", (1, 200), (8.0, 20.0)),
)

# Assemblies per BOM level: (description stem, hs_code)
LEVEL_TEMPLATES = {
    0: (
        ("Industrial robot arm, 6-axis", "8479500000"),
        ("MRI scanner 1.5 T", "9018131000"),
        ("Electric vehicle drive unit", "8501530000"),
        ("Storage server 2U", "8471500000"),
        ("CNC machining centre", "8457101000"),
        ("Wind turbine generator kit", "8502310000"),
        ("Infusion pump", "9018908400"),
        ("Agricultural drone", "8806930000"),
        ("Collaborative robot", "847950"),
        ("Hearing aid", "9021400000"),
        ("Electric scooter", "8711600000"),
        ("Semiconductor wafer handler", "8486400000"),
    ),
    1: (
        ("Servo drive module", "8504409500"),
        ('HDD 3.5" 20 TB', "8471701000"),
        ("MRI gradient module", "9018139000"),
        ("E-axle module", "8708509900"),
        ("Robot joint module", "8483409000"),
        ("Pitch drive unit", "8503009900"),
        ("Drone propulsion module", "8807300000"),
        ("Elevator traction machine", "8428909000"),
        ("Sensor fusion module", "9031809800"),
        ("Audio amplifier module", "8518400000"),
    ),
    2: (
        ("Servo motor", "8501520000"),
        ("Brushless DC motor", "8501310000"),
        ("Linear actuator", "8412310000"),
        ("Stepper motor", "8501109900"),
        ("Position sensor", "9031809100"),
        ("Torque sensor", "9031200000"),
        ("Traction motor stator", "8503001000"),
        ("Hub motor", "8501320000"),
        ("Magnetic encoder", "9031808000"),
        ("Solenoid actuator", "8505200000"),
        ("Vibration motor", "8501109300"),
    ),
    3: (
        ("Rotor assembly", "8503009900"),
        ("Stator assembly", "8503001000"),
        ("Voice coil motor", "8501109100"),
        ("Hall sensor element", "8541490000"),
        ("Encoder disc", "9031900000"),
        ("Spindle motor", "8501109300"),
        ("Linear motor magnet track", "8505190000"),
        ("Halbach array", "85051100"),
        ("Loudspeaker driver", "8518290000"),
        ("Magnetic coupling", "8505200000"),
        ("Read/write head stack", "8473302000"),
        ("Gradient coil segment", "9018909000"),
    ),
}

END_USES = (  # (end_use_code, end_use_statement, weight)
    ("civil", "", 40),
    ("civil", "industrial automation", 12),
    ("civil", "automotive traction motors", 8),
    ("civil", "consumer electronics assembly", 6),
    ("civil", "wind power generation", 4),
    ("civil", "medical imaging equipment", 4),
    ("civil", "data storage", 4),
    ("civil", "general civil use", 8),
    ("", "R&D of 14 nm logic chips", 0.6),
    ("", "232-layer NAND production", 0.6),
    ("", "Production of 28 nm logic chips", 0.6),
    ("", "3D NAND flash, 128 layers", 0.5),
    ("", "R&D of 300-layer 3D NAND", 0.4),
    ("", "EUV lithography subsystem for 5nm node", 0.4),
    ("", "general industrial use", 1.2),
    ("", "to be advised", 0.8),
    ("", "", 1.0),
    ("", "Earthquake relief, emergency power units", 0.3),
    ("", "emergency MRI repair during a public-health incident", 0.3),
    ("", 'Spare parts for "Line 4" servo presses', 0.4),
    ("", "AI model training cluster for defence research", 0.2),
    ("", "flight controllers for armed forces drones", 0.2),
    ("military", "armoured vehicle actuators", 0.4),
    ("wmd", "missile guidance components", 0.05),
    ("terrorism", "", 0.02),
    ("logic_chips_le_14nm", "R&D of 7 nm logic devices", 0.5),
    ("memory_chips_ge_256_layers", "276-layer 3D NAND production", 0.4),
    ("advanced_chip_equipment", "magnetron assemblies for etch tools", 0.5),
    ("ai_military_potential", "AI accelerator R&D, dual-use", 0.3),
    ("humanitarian_medical", "emergency medical equipment for outbreak response", 0.5),
    ("humanitarian_disaster", "flood relief pumps", 0.3),
)
LINES_PER_DECLARATION = (
    (1, 40),
    (2, 20),
    (3, 12),
    (4, 8),
    (5, 6),
    (6, 3),
    (7, 2),
    (8, 2),
    (9, 1.5),
    (10, 1.5),
    (12, 1.5),
    (15, 1),
    (20, 0.8),
    (30, 0.4),
)  # mean 3.2


def _lines_per_declaration(mean: float) -> tuple[tuple[int, float], ...]:
    """LINES_PER_DECLARATION's long tail, tilted (weights * t**k) until its mean is `mean`."""

    def table(t: float):
        return tuple((k, w * t**k) for k, w in LINES_PER_DECLARATION)

    def mean_of(t: float) -> float:
        pairs = table(t)
        return sum(k * w for k, w in pairs) / sum(w for _, w in pairs)

    lo, hi = 0.05, 3.0
    if not mean_of(lo) <= mean <= mean_of(hi):
        raise ValueError(f"lines per declaration must be between {mean_of(lo):.2f} and {mean_of(hi):.2f}")
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mean_of(mid) < mean else (lo, mid)
    return table(round((lo + hi) / 2, 9))


OTHER_REMARKS = (
    "Urgent shipment",
    "Returned goods after repair",
    "Replacement under warranty",
    'Re-export, origin declared "CN"',
    "Consolidated shipment; see packing list",
)
FOC_REMARK = "Free of charge \u2013 sample, no commercial value"
P_FOC = 0.003
P_REMARK = 0.01
P_MULTILINE_REMARK = 0.0001

_DECL_FIELDS = (
    "declaration_id",
    "line_no",
    "export_date",
    "exporter_entity_id",
    "exporter_country",
    "item_id",
    "quantity",
    "line_value",
    "currency",
    "destination_country",
    "consignee_party_id",
    "end_user_party_id",
    "end_use_code",
    "end_use_statement",
    "hs_code",
    "customs_remarks",
    "extracted_at",
)


# --------------------------------------------------------------------------- helpers


def _cum(pairs):
    """(population, cum_weights, total) of (value, weight) pairs, for _pick."""
    values = [v for v, _ in pairs]
    cum = list(accumulate(w for _, w in pairs))
    return values, cum, cum[-1]


def _pick(rng: random.Random, table):
    values, cum, total = table
    return values[bisect(cum, rng.random() * total)]


def _dec(x: float, places: int) -> str:
    """A decimal as text: fixed point, '.', no exponent, trailing zeros dropped."""
    s = f"{x:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _money(x: float, currency: str) -> str:
    places = CURRENCY_DECIMALS.get(currency, 2)
    if places and x < 1:
        places = 4
    return f"{x:.{places}f}"


def _pos(x: float, places: int) -> str:
    """A decimal > 0 (never rounded down to zero)."""
    return _dec(max(x, 10.0**-places), places)


_QUOTED: dict[str, str] = {}


def _quote(text: str) -> str:
    """One field as the csv module writes it (QUOTE_MINIMAL), cached."""
    q = _QUOTED.get(text)
    if q is None:
        if text:
            import io

            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow([text])
            q = buf.getvalue()[:-1]
        else:
            q = ""
        _QUOTED[text] = q
    return q


def _safe(text: str) -> str:
    """A field written without quoting: it must not need any."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        raise ValueError(f"field needs quoting: {text!r}")
    return text


def _d(day: dt.date) -> str:
    return day.isoformat()


def _rand_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _element(substance: str) -> str:
    return re.match(r"[A-Z][a-z]?", substance).group(0)


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return lo * (hi / lo) ** rng.random()


class _Stamp:
    """extracted_at values: a fixed time of day (from the seed) on a day derived from the data."""

    def __init__(self, seed: int):
        r = random.Random(f"extracted_at:{seed}")
        self.base = r.randrange(1 * 3600, 5 * 3600)  # between 01:00 and 05:00

    def at(self, day: dt.date, extra_seconds: int = 0) -> str:
        s = (self.base + extra_seconds) % 86400
        return f"{day.isoformat()}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


_NAMES: dict[str, tuple[str, ...]] = {}


def _row(extract_path: str, values: dict) -> tuple:
    """A row in the contract's column order; every column must be given, nothing else."""
    names = _NAMES.get(extract_path)
    if names is None:
        names = _NAMES[extract_path] = contract.extract(extract_path).column_names
    extra = set(values) - set(names)
    if extra:
        raise KeyError(f"{extract_path}: not contract columns: {sorted(extra)}")
    return tuple(values[n] for n in names)


def _open_csv(path: Path, columns):
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)
    w = csv.writer(f, lineterminator="\n")
    w.writerow(columns)
    return f, w


def _write(out: Path, extract_path: str, rows: list[tuple]) -> int:
    f, w = _open_csv(out / f"{extract_path}.csv", contract.extract(extract_path).column_names)
    with f:
        w.writerows(rows)
    return len(rows)


# --------------------------------------------------------------------------- the world


@dataclass
class Item:
    idx: int
    item_id: str
    description: str
    item_type: str
    product_form: str
    level: int  # BOM level: 0 finished goods .. 5 materials / purchased parts
    country: str
    hs_code: str
    cost_eur: float  # unit cost
    qty_range: tuple[float, float]
    qty_places: int = 0
    magnet_type: str = ""
    target_material: str = ""
    material_form: str = ""
    chinese_re_technology: str = ""
    mass_g: float = 0.0
    substances: list = field(default_factory=list)  # (substance, mass fraction)
    supplier: tuple | None = None  # (supplier_id, country, currency)
    price_eur: float = 0.0  # selling price per unit
    remark_cn: str = ""  # what a Chinese domestic exporter writes in the remarks column


@dataclass
class Party:
    party_id: str
    name: str
    name_local: str
    country: str
    party_type: str
    aliases: str
    weight: float = 1.0


@dataclass(frozen=True)
class Shape:
    """The size of the generated world. `Shape.for_lines(n)` scales the shape of a large
    manufacturer (10 M declaration lines a year: ~200 k items, ~1 M BOM rows, ~160 k
    certificate lines, 2.5 M declarations of ~4 lines, ~150 k distinct exported items, 18
    months of daily files) linearly with n; every figure can be set on its own."""

    items: int  # erp/items rows (approximate: the world needs a minimum of each kind)
    # None: in proportion to the items the world has (5 BOM rows, 0.8 certificate lines and
    # 0.75 exported items per item: the large manufacturer's ratios)
    bom_rows: int | None = None  # erp/bom rows (approximate)
    certificate_lines: int | None = None  # certificates/material_declarations rows (approximate)
    exported_items: int | None = None  # distinct items on the declarations (approximate)
    bom_intervals: float = 1.5  # validity intervals per BOM component line
    lines_per_declaration: float = 4.0  # mean
    months: int = 18  # of daily declaration files, ending LAST_EXPORT

    @classmethod
    def for_lines(cls, lines: int, **overrides) -> Shape:
        f = lines / 1_000_000
        values = {"items": round(20_000 * f)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def first_export(self) -> dt.date:
        year, month = LAST_EXPORT.year, LAST_EXPORT.month - self.months + 1
        while month < 1:
            year, month = year - 1, month + 12
        return dt.date(year, month, 1)


# Share of the items of each kind (of Shape.items), and the minimum of each (small samples).
_ITEM_SHARES = {
    "materials": 0.015,
    "magnets": 0.15,
    "targets": 0.02,
    "others": 0.30,
    "level3": 0.20,
    "level2": 0.15,
    "level1": 0.10,
    "level0": 0.065,
}
# Component lines per BOM parent before extra purchased parts are added, and certificate
# lines per item at full coverage (measured on generated worlds; used to reach the targets).
_BASE_LINES_PER_PARENT = 4.3
_BASE_CERTIFICATE_LINES_PER_ITEM = 0.84


def _counts(n: int, shape: Shape) -> dict[str, int]:
    minimum = {
        "suppliers": min(5000, 50 + n // 200),
        "materials": min(300, 40 + n // 40_000),
        "magnets": min(3000, 40 + n // 4_000),
        "targets": min(400, 16 + n // 30_000),
        "others": min(2500, 30 + n // 5_000),
        "level3": min(2500, 25 + n // 5_000),
        "level2": min(2000, 20 + n // 6_000),
        "level1": min(1500, 15 + n // 8_000),
        "level0": min(1000, 12 + n // 12_000),
        "parties": min(20_000, 250 + n // 500),
        "licences": min(400, 8 + n // 25_000),
    }
    return {k: max(v, round(shape.items * _ITEM_SHARES.get(k, 0))) for k, v in minimum.items()}


class World:
    """The reference entities (small, kept in memory) and the rows of the small extracts."""

    def __init__(self, n: int, seed: int, shape: Shape | None = None):
        self.rng = random.Random(seed)
        self.stamp = _Stamp(seed)
        self.n = n
        self.shape = shape or Shape.for_lines(n)
        self.c = _counts(n, self.shape)
        # BOM fan-out, document coverage and exported items chosen to reach the shape
        items = sum(self.c[k] for k in _ITEM_SHARES)
        shape = self.shape
        bom_rows = shape.bom_rows if shape.bom_rows is not None else 5 * items
        certificate_lines = shape.certificate_lines if shape.certificate_lines is not None else 0.8 * items
        self.exported_items = shape.exported_items if shape.exported_items is not None else round(0.75 * items)
        parents = sum(self.c[f"level{k}"] for k in range(4)) * 0.9
        per_parent = bom_rows / max(shape.bom_intervals, 1.0) / max(parents, 1.0)
        self.extra_parts = max(0.0, per_parent - _BASE_LINES_PER_PARENT)
        self.requantify = max(0.0, min(0.9, (shape.bom_intervals - 0.97) / 2))
        self.certificate_coverage = min(1.0, certificate_lines / max(1.0, _BASE_CERTIFICATE_LINES_PER_ITEM * items))
        self.items: list[Item] = []
        self.bom_rows: list[tuple] = []
        self.bom_children: dict[str, list[str]] = {}
        self._suppliers()
        self._materials()
        self._others()
        self.levels: dict[int, list[Item]] = {5: self.materials + self.others}
        self._alike: dict[tuple[int, str], list[Item]] = {}
        self._magnets_and_targets()
        self._assemblies()
        self.snapshot = self.stamp.at(dt.date(2027, 1, 2))

    # -- suppliers
    def _suppliers(self):
        rng = self.rng
        weights: dict[str, float] = {}
        for table in SUPPLIER_COUNTRIES.values():
            for country, w in table:
                weights[country] = weights.get(country, 0) + w
        table = _cum(sorted(weights.items()))
        self.suppliers_by_country: dict[str, list[tuple]] = {c: [] for c in sorted(weights)}
        for i in range(self.c["suppliers"]):
            country = table[0][i] if i < len(table[0]) else _pick(rng, table)
            currency = COUNTRY_CURRENCY.get(country, "USD")
            if country == "CN" and rng.random() < 0.4:
                currency = "USD"
            self.suppliers_by_country[country].append((f"SUP{i + 1:05d}", country, currency))

    def _supplier(self, form: str) -> tuple:
        country = _pick(self.rng, _cum(SUPPLIER_COUNTRIES[form]))
        return self.rng.choice(self.suppliers_by_country[country])

    def _new_item(self, prefix: str, **kw) -> Item:
        idx = len(self.items)
        item = Item(idx=idx, item_id=f"{prefix}{idx + 1:06d}", **kw)
        self.items.append(item)
        return item

    # -- level 5: materials and purchased parts
    def _materials(self):
        rng = self.rng
        forms = list(contract.PART1_SUBSTANCES) + list(NON_PART1_FORMS)
        self.materials: list[Item] = []
        for i in range(self.c["materials"]):
            form = forms[i] if i < len(forms) else rng.choice(forms)
            sup = self._supplier("rare_earth_material")
            element = _element(form)
            kind = form.split("_", 1)[1] if "_" in form else "fluoride"
            hs = {"metal": "2805301900", "oxide": "2846901900", "alloy": "72029990", "fluoride": "284690"}[kind]
            purity = rng.choice(("99.5%", "99.9%", "99.95%", "99.99%"))
            item = self._new_item(
                "RM",
                description=f"{ELEMENT_NAMES[element]} {kind} ({form}) {purity}",
                item_type="purchased",
                product_form="rare_earth_material",
                level=5,
                country=sup[1],
                hs_code=hs,
                cost_eur=SUBSTANCE_PRICE_EUR[form] * rng.uniform(0.9, 1.15),
                qty_range=(1, 1000),
                qty_places=1,
                material_form=form,
                chinese_re_technology=rng.choice(("", "N", "N", "Y")) if sup[1] != "CN" else "",
                substances=[(form, 1.0)],
                supplier=sup,
            )
            code = NO18_CODES.get(element)
            if form in contract.PART1_SUBSTANCES and code:
                item.remark_cn = f"{code}.{'b' if kind == 'oxide' else 'a'} controlled"
            elif code and kind in ("oxide", "fluoride"):
                item.remark_cn = f"{code}.{'b' if kind == 'oxide' else 'c'} controlled"
            else:
                item.remark_cn = "non-controlled"
            self.materials.append(item)
        self.material_by_form: dict[str, Item] = {}
        for m in self.materials:
            self.material_by_form.setdefault(m.material_form, m)

    def _others(self):
        rng = self.rng
        self.others: list[Item] = []
        for i in range(self.c["others"]):
            desc, hs, qr, cost = OTHER_PARTS[i] if i < len(OTHER_PARTS) else rng.choice(OTHER_PARTS)
            sup = self._supplier("other")
            item = self._new_item(
                "OT",
                description=desc if i < len(OTHER_PARTS) else f"{desc} type {rng.randrange(10, 99)}",
                item_type="purchased",
                product_form="other",
                level=5,
                country=sup[1],
                hs_code=hs,
                cost_eur=rng.uniform(*cost),
                qty_range=qr,
                supplier=sup,
                remark_cn="non-controlled",
            )
            self.others.append(item)
        self.other_by_desc = {o.description: o for o in self.others[: len(OTHER_PARTS)]}
        # what goes into a BOM: the first 14 kinds of part (not the coffee, tea and pallets)
        fitted = {d for d, *_ in OTHER_PARTS[:14]}
        self.bom_parts = [o for o in self.others if o.description.split(" type ")[0] in fitted]

    # -- level 4: magnets and targets (mostly bought, some made in our plants from materials)
    def _magnets_and_targets(self):
        rng = self.rng
        self.magnets: list[Item] = []
        self.targets: list[Item] = []
        mtypes = _cum((("NdFeB", 60), ("SmCo", 10), ("ferrite", 20), ("AlNiCo", 5), ("other", 5)))
        grades = {
            "NdFeB": ("N35", "N42", "N48H", "N42SH", "N45UH", "N38EH", "N40AH"),
            "SmCo": ("SmCo5", "Sm2Co17 YXG-30", "Sm2Co17 YXG-28H"),
            "ferrite": ("Y30BH", "Y35", "C8"),
            "AlNiCo": ("AlNiCo 5", "AlNiCo 8"),
            "other": ("bonded NdFeB", "SmFeN bonded"),
        }
        plants = _cum(PLANT_COUNTRIES)
        for i in range(self.c["magnets"]):
            mt = ("NdFeB", "SmCo", "ferrite", "AlNiCo")[i] if i < 4 else _pick(rng, mtypes)
            mass = _log_uniform(rng, 0.5, 500.0)
            subs: list = []
            if mt == "NdFeB" or (mt == "other" and rng.random() < 0.5):
                if rng.random() < 0.5:
                    subs.append(("Nd_metal", rng.uniform(0.22, 0.30)))
                else:
                    subs += [("Nd_metal", rng.uniform(0.18, 0.23)), ("Pr_metal", rng.uniform(0.04, 0.07))]
                heavy = rng.random()
                if heavy < 0.40:
                    subs.append(("Dy_metal", rng.uniform(0.01, 0.06)))
                elif heavy < 0.60:
                    subs.append(("Tb_metal", rng.uniform(0.003, 0.012)))
                elif heavy < 0.70:
                    subs += [("Dy_metal", rng.uniform(0.01, 0.03)), ("Tb_metal", rng.uniform(0.003, 0.008))]
                elif heavy < 0.78:
                    subs.append(("DyF3", rng.uniform(0.005, 0.012)))  # grain-boundary diffusion: not a Part 1 form
                elif heavy < 0.82:
                    subs.append(("Dy_oxide", rng.uniform(0.005, 0.02)))
                rate = rng.uniform(55, 140) + 3000 * sum(f for s, f in subs if s[:2] in ("Dy", "Tb"))
            elif mt == "SmCo":
                subs.append(("Sm_metal", rng.uniform(0.23, 0.34)) if rng.random() < 0.7 else ("SmCo_alloy", 0.95))
                rate = rng.uniform(150, 320)
            elif mt == "ferrite":
                if rng.random() < 0.2:
                    subs.append(("La_oxide", rng.uniform(0.005, 0.02)))
                rate = rng.uniform(3, 9)
            else:
                rate = rng.uniform(40, 75)
            made_here = mt in ("NdFeB", "SmCo") and (i < 2 or rng.random() < 0.15)
            if made_here:
                country, sup = _pick(rng, plants), None
            else:
                sup = self._supplier("permanent_magnet")
                country = sup[1]
            dims = f"{rng.randrange(2, 80)}x{rng.randrange(2, 40)}x{rng.randrange(1, 20)} mm"
            item = self._new_item(
                "MG",
                description=f"{mt} magnet {rng.choice(grades[mt])} {dims}",
                item_type="manufactured" if made_here else "purchased",
                product_form="permanent_magnet",
                level=4,
                country=country,
                hs_code="8505190000" if mt == "ferrite" else rng.choice(("8505111000", "85051110", "850511")),
                cost_eur=max(0.02, mass / 1000 * rate),
                qty_range=(50, 20000),
                magnet_type=mt,
                mass_g=mass,
                substances=subs,
                supplier=sup,
                chinese_re_technology=(
                    "Y" if country == "VN" and rng.random() < 0.5 else rng.choice(("N", "N", "N", "N", "Y", ""))
                ),
            )
            heavy = [s for s, _ in subs if s in ("Dy_metal", "Tb_metal", "Dy_oxide", "Sm_metal", "SmCo_alloy")]
            item.remark_cn = f"{NO18_CODES[_element(heavy[0])]}.a controlled" if heavy else "non-controlled"
            if made_here:
                comps = [(self.material_by_form[s], mass / 1000 * f * 1.08) for s, f in subs]
                if mt == "NdFeB":
                    comps += [
                        (self.other_by_desc["Ferro-boron alloy FeB 18%"], mass / 1000 * 0.05),
                        (self.other_by_desc["Electrolytic iron flakes"], mass / 1000 * 0.62),
                    ]
                else:
                    comps.append((self.other_by_desc["Cobalt metal cathodes"], mass / 1000 * 0.6))
                self._bom(item, comps, keep=(i < 2))
            self.magnets.append(item)

        tmats = _cum(TARGET_WEIGHTS)
        for i in range(self.c["targets"]):
            tm = [t for t, _ in TARGET_WEIGHTS][i] if i < len(TARGET_WEIGHTS) else _pick(rng, tmats)
            substance, frac = TARGETS[tm]
            mass = rng.uniform(300, 6000)
            made_here = i == 0 or rng.random() < 0.12
            if made_here:
                country, sup = _pick(rng, plants), None
            else:
                sup = self._supplier("sputtering_target")
                country = sup[1]
            cost = mass / 1000 * SUBSTANCE_PRICE_EUR[substance] * frac * rng.uniform(1.5, 3.0) + rng.uniform(200, 900)
            item = self._new_item(
                "TG",
                description=f"Sputtering target {tm} {rng.choice(('99.9%', '99.95%', '99.99%'))} "
                f"\u00d8{rng.choice((76, 100, 150, 200, 300))} mm",
                item_type="manufactured" if made_here else "purchased",
                product_form="sputtering_target",
                level=4,
                country=country,
                hs_code=rng.choice(("8112929000", "81129990", "8486909900")),
                cost_eur=cost,
                qty_range=(1, 24),
                target_material=tm,
                mass_g=mass,
                substances=[(substance, frac)],
                supplier=sup,
                chinese_re_technology=rng.choice(("N", "N", "N", "Y", "")),
            )
            el = _element(substance)
            item.remark_cn = f"{NO18_CODES[el]}.a controlled" if el in NO18_CODES and tm != "ScAl" else "non-controlled"
            if made_here:
                form = substance if substance in self.material_by_form else f"{el}_metal"
                mat = self.material_by_form.get(form) or self.materials[0]
                self._bom(
                    item,
                    [(mat, mass / 1000 * frac * 1.1), (self.other_by_desc["Copper backing plate"], 1)],
                    keep=(i == 0),
                )
            self.targets.append(item)

    # -- levels 3..0: assemblies
    def _assemblies(self):
        rng = self.rng
        plants = _cum(PLANT_COUNTRIES)
        self.levels[4] = self.magnets + self.targets
        self.made: dict[int, list[Item]] = {4: [m for m in self.levels[4] if m.item_type == "manufactured"]}
        # the magnets made in house come first, so the forced depth-5 chain starts from one
        re_magnets = [m for m in self.magnets if m.substances] or self.magnets
        for level in (3, 2, 1, 0):
            items: list[Item] = []
            count = self.c[f"level{level}"]
            for i in range(count):
                stem, hs = rng.choice(LEVEL_TEMPLATES[level])
                purchased = level > 0 and i > 0 and rng.random() < (0.30 if level == 3 else 0.15)
                sup = self._supplier("assembly") if purchased else None
                country = sup[1] if sup else _pick(rng, plants)
                code = f"{rng.choice('ABCDEFGHKLMRSTX')}{rng.randrange(100, 999)}"
                item = self._new_item(
                    "FG" if level == 0 else "AS",
                    description=f"{stem} {code}",
                    item_type="purchased" if purchased else "manufactured",
                    product_form="assembly",
                    level=level,
                    country=country,
                    hs_code=hs,
                    cost_eur=0.0,
                    qty_range=((1, 40), (1, 300), (5, 1000), (10, 2000))[level],
                    supplier=sup,
                    chinese_re_technology=rng.choice(("N", "N", "N", "N", "Y")) if not purchased else "",
                    remark_cn="non-controlled",
                )
                # a purchased assembly mostly comes without a BOM; some have the supplier's BOM in the ERP
                with_bom = not purchased or rng.random() < 0.25
                comps = self._pick_components(level, i, re_magnets)
                content = sum(c.cost_eur * q for c, q in comps)
                item.cost_eur = content * rng.uniform(1.05, 1.4) + rng.uniform(5, 60) * (5 - level) ** 2
                if with_bom:
                    self._bom(item, comps, keep=(i == 0))
                items.append(item)
            self.levels[level] = items
            self.made[level] = [x for x in items if x.item_type == "manufactured"]
        for item in self.items:
            if not item.price_eur:
                item.price_eur = item.cost_eur * rng.uniform(1.1, 1.7)

    def _pick_components(self, level: int, i: int, re_magnets: list[Item]) -> list[tuple[Item, float]]:
        rng = self.rng
        comps: dict[str, tuple[Item, float]] = {}

        def add(item: Item, qty: float):
            comps.setdefault(item.item_id, (item, qty))

        def magnet_count(m: Item) -> int:  # a part holds 5 g .. 2 kg of magnets
            return max(1, min(48, int(_log_uniform(rng, 5, 2000) / max(m.mass_g, 0.5))))

        below = self.made.get(level + 1) or self.levels[level + 1]
        if level == 3:  # in-house magnets (targets go into parts in fractions, below)
            below = [m for m in below if m.product_form == "permanent_magnet"] or self.magnets
        counts = (1, 1, 1, 2, 2, 3, 4) if level > 0 else (1, 1, 1, 1, 2)
        if i == 0:  # the depth-5 chain: FG -> module -> sub-assembly -> part -> in-house magnet -> material
            add(below[0], 1 if level < 3 else 4)
        elif rng.random() < 0.6:
            pick = rng.choice(below)
            add(pick, magnet_count(pick) if level == 3 else rng.choice(counts))
        if level < 3:
            for _ in range(rng.randrange(0, 3)):
                add(rng.choice(self.levels[level + 1]), rng.choice(counts))
        if level == 3:
            for _ in range(rng.randrange(1, 4)):
                m = rng.choice(re_magnets if rng.random() < 0.7 else self.magnets)
                add(m, magnet_count(m))
            if rng.random() < 0.15:
                add(rng.choice(self.targets), round(rng.uniform(0.0001, 0.002), 5))
        elif rng.random() < 0.3:  # magnets fitted directly at a higher level
            m = rng.choice(self.magnets)
            add(m, magnet_count(m))
        parts = self.bom_parts
        extra = int(self.extra_parts) + (rng.random() < self.extra_parts % 1) if self.extra_parts else 0
        for _ in range(rng.randrange(1, 4) + extra):
            o = rng.choice(parts)
            add(o, round(rng.uniform(0.05, 5), 3) if o.qty_places else rng.randrange(1, 9))
        if level == 3 and rng.random() < 0.05:  # a rare-earth material used directly (e.g. a doped coating)
            add(rng.choice(self.materials), round(rng.uniform(0.0005, 0.01), 5))
        return list(comps.values())

    def _bom(self, parent: Item, comps: list[tuple[Item, float]], keep: bool = False):
        """BOM lines of a parent; some replaced mid-period (valid_to, then a new line the next day)."""
        rng = self.rng
        start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 700)) if not keep else dt.date(2023, 1, 1)
        if not keep and rng.random() < 0.08:  # a product introduced during the period
            start = _rand_day(rng, dt.date(2025, 1, 15), dt.date(2026, 6, 30))
        used = {c.item_id for c, _ in comps}
        children = self.bom_children.setdefault(parent.item_id, [])
        ts = self.stamp.at(dt.date(2027, 1, 2), 60)
        for comp, qty in comps:
            children.append(comp.item_id)
            places = 6 if qty < 1 else 3
            q = _pos(qty, places)
            r = rng.random()
            p_sub, p_gone = 0.05, 0.02
            if keep or r >= self.requantify + p_sub + p_gone:
                self.bom_rows.append((parent.item_id, comp.item_id, q, _d(start), "", ts))
                continue
            first_change = max(start, dt.date(2025, 2, 1))
            if r < self.requantify:  # same component, new quantity, one to three times
                changes = sorted(
                    {_rand_day(rng, first_change, dt.date(2026, 10, 31)) for _ in range(rng.choice((1, 2, 3)))}
                )
                valid_from, quantity = start, q
                for change in changes:
                    self.bom_rows.append((parent.item_id, comp.item_id, quantity, _d(valid_from), _d(change), ts))
                    valid_from = change + dt.timedelta(days=1)
                    quantity = _pos(qty * rng.choice((0.5, 0.8, 1.25, 2)), places)
                self.bom_rows.append((parent.item_id, comp.item_id, quantity, _d(valid_from), "", ts))
                continue
            change = _rand_day(rng, first_change, dt.date(2026, 10, 31))
            self.bom_rows.append((parent.item_id, comp.item_id, q, _d(start), _d(change), ts))
            nxt = _d(change + dt.timedelta(days=1))
            if r < self.requantify + p_sub:  # replaced by another component of the same kind (e.g. a Dy-free magnet)
                key = (comp.level, comp.product_form)
                if key not in self._alike:
                    self._alike[key] = [x for x in self.levels.get(comp.level, [comp]) if x.product_form == key[1]]
                sub = rng.choice(self._alike[key] or [comp])
                if sub.item_id not in used and sub.item_id != parent.item_id:
                    used.add(sub.item_id)
                    children.append(sub.item_id)
                    self.bom_rows.append((parent.item_id, sub.item_id, q, nxt, "", ts))
            # else: discontinued, no successor

    # ----------------------------------------------------------------- extracts

    def items_rows(self) -> list[tuple]:
        rng = random.Random(f"items:{self.rng.random()}")
        rows = []
        for it in self.items:
            cur = (
                COUNTRY_CURRENCY.get(it.country, "USD")
                if it.item_type == "manufactured"
                else (it.supplier[2] if it.supplier else "USD")
            )
            cost = "" if rng.random() < 0.04 else _money(it.cost_eur * FX[cur], cur)
            rows.append(
                _row(
                    "erp/items",
                    {
                        "item_id": it.item_id,
                        "description": it.description,
                        "item_type": it.item_type,
                        "product_form": it.product_form,
                        "magnet_type": it.magnet_type,
                        "target_material": it.target_material,
                        "material_form": it.material_form,
                        "country_of_manufacture": it.country,
                        "hs_code": it.hs_code,
                        "chinese_re_technology": it.chinese_re_technology,
                        "standard_cost": cost,
                        "standard_cost_currency": cur if cost else "",
                        "extracted_at": self.snapshot,
                    },
                )
            )
        return rows

    def purchase_rows(self) -> list[tuple]:
        rng = self.rng
        rows = []
        po = 4500000000
        for it in self.items:
            if it.item_type != "purchased":
                continue
            sup_id, sup_country, cur = it.supplier
            n = min(20, 1 + int(rng.expovariate(1 / 4)))
            lo, hi = it.qty_range
            for k in range(n):
                first = dt.date(2024, 6, 1) if k == 0 else dt.date(2024, 9, 1)
                order = _rand_day(rng, first, dt.date(2024, 12, 15) if k == 0 else dt.date(2026, 11, 30))
                receipt = order + dt.timedelta(days=rng.randrange(7, 91))
                if receipt > LAST_EXPORT:
                    receipt = LAST_EXPORT
                po += rng.randrange(1, 40)
                currency = cur if rng.random() < 0.9 else rng.choice(("USD", "EUR"))
                if it.product_form in ("rare_earth_material", "permanent_magnet", "sputtering_target"):
                    origin = _pick(rng, _cum(RE_ORIGINS)) if it.substances else sup_country
                    if origin == "" and rng.random() < 0.3:
                        origin = sup_country
                else:
                    origin = "" if rng.random() < 0.07 else sup_country
                for line in range(1, 2 if rng.random() < 0.85 else 3):
                    qty = _log_uniform(rng, lo, hi) * 3
                    rows.append(
                        _row(
                            "procurement/purchase_lines",
                            {
                                "po_line_id": f"{po}-{line * 10:05d}",
                                "po_number": str(po),
                                "supplier_id": sup_id,
                                "item_id": it.item_id,
                                "quantity": _pos(qty, 3) if it.qty_places else str(max(1, int(qty))),
                                "unit_price": _money(it.cost_eur * FX[currency] * rng.uniform(0.85, 1.15), currency),
                                "currency": currency,
                                "order_date": _d(order),
                                "receipt_date": _d(receipt),
                                "country_of_origin": origin,
                                "extracted_at": self.stamp.at(receipt + dt.timedelta(days=1)),
                            },
                        )
                    )
        return rows

    def certificate_rows(self) -> list[tuple]:
        rng = self.rng
        rows = []
        seq = 0
        origins = _cum(RE_ORIGINS)
        for it in self.items:
            if it.item_type != "purchased":
                continue
            form = it.product_form
            # "other" parts: a supplier's declaration that the part holds no rare earth
            coverage = {
                "rare_earth_material": 0.7,
                "permanent_magnet": 0.85,
                "sputtering_target": 0.9,
                "assembly": 0.55,
                "other": 0.8,
            }[form]
            if rng.random() >= coverage * self.certificate_coverage:
                continue  # no document at all
            sup_id, _, cur = it.supplier
            valid_from = _rand_day(rng, dt.date(2024, 6, 1), dt.date(2025, 3, 31))
            while valid_from <= LAST_EXPORT:
                seq += 1
                if form == "other":
                    doc = "material_declaration"
                elif form == "assembly":
                    doc = "compliance_notice" if rng.random() < 0.8 else "material_declaration"
                elif form == "rare_earth_material":
                    doc = "origin_certificate" if rng.random() < 0.6 else "material_declaration"
                else:
                    doc = "material_declaration" if rng.random() < 0.8 else "compliance_notice"
                if doc == "compliance_notice" and valid_from < dt.date(2025, 10, 9):
                    valid_from = _rand_day(rng, dt.date(2025, 10, 9), dt.date(2026, 3, 31))
                open_ended = rng.random() < 0.35
                valid_to = None if open_ended else valid_from + dt.timedelta(days=rng.choice((180, 364, 365, 729)))
                issued = valid_from - dt.timedelta(days=rng.randrange(0, 15))
                common = {
                    "certificate_id": f"CERT-{seq:07d}",
                    "supplier_id": sup_id,
                    "item_id": it.item_id,
                    "document_type": doc,
                    "issued_on": _d(issued),
                    "valid_from": _d(valid_from),
                    "valid_to": _d(valid_to) if valid_to else "",
                    "extracted_at": self.stamp.at(issued + dt.timedelta(days=rng.randrange(1, 6))),
                    "chinese_re_technology": it.chinese_re_technology if rng.random() < 0.8 else rng.choice(("Y", "")),
                }
                for line_no, values in enumerate(self._certificate_lines(it, doc, cur, origins), start=1):
                    values = {**common, **values, "line_no": str(line_no)}
                    rows.append(_row("certificates/material_declarations", values))
                if valid_to is None or rng.random() < 0.25:
                    break  # open-ended, or not renewed (expired: later exports find no valid document)
                gap = 1 if rng.random() < 0.8 else rng.randrange(10, 60)
                valid_from = valid_to + dt.timedelta(days=gap)
        return rows

    def _certificate_lines(self, it: Item, doc: str, cur: str, origins) -> list[dict]:
        rng = self.rng
        blank = {
            "substance": "",
            "element": "",
            "mass_g_per_unit": "",
            "content_value_per_unit": "",
            "content_value_currency": "",
            "origin_country": "",
            "declared_value_share_pct": "",
        }
        if doc == "compliance_notice":
            share = rng.choice(("0", "0.05", "0.09", "0.1", "0.1", "0.12", "0.25", "0.8", "2.4", "12.5", "100"))
            line = {**blank, "declared_value_share_pct": share, "origin_country": _pick(rng, origins)}
            subs = [s for s, _ in it.substances if s in contract.PART1_SUBSTANCES]
            if subs and rng.random() < 0.6:
                line.update(substance=subs[0], element=_element(subs[0]))
            return [line]
        if doc == "origin_certificate":
            s = it.material_form
            return [{**blank, "substance": s, "element": _element(s), "origin_country": _pick(rng, origins)}]
        subs = it.substances
        if not subs:
            if it.product_form == "assembly":
                s = rng.choice(("Dy_metal", "Tb_metal", "Nd_metal", "Sm_metal"))
                subs = [(s, rng.uniform(0.0005, 0.01))]
                mass = max(it.cost_eur, 10.0)  # g per unit, rough
            else:  # ferrite / AlNiCo: a declaration of no rare-earth content
                return [{**blank, "mass_g_per_unit": "0"}]
        else:
            mass = it.mass_g or 1000.0  # materials are per kg
        lines = []
        for s, frac in subs:
            grams = mass * frac
            split = [(1.0, _pick(rng, origins))]
            if rng.random() < 0.12:  # a mixed-origin lot: one line per origin
                share = rng.choice((0.5, 0.6, 0.7, 0.8))
                split = [(share, "CN"), (1 - share, rng.choice(("MY", "US", "VN", "")))]
            basis = rng.random()
            for part, origin in split:
                g = grams * part
                value = g / 1000 * SUBSTANCE_PRICE_EUR[s] * FX[cur] * rng.uniform(0.8, 1.2)
                lines.append(
                    {
                        **blank,
                        "substance": s,
                        "element": _element(s),
                        "origin_country": origin,
                        "mass_g_per_unit": _pos(g, 6) if basis < 0.8 else "",
                        "content_value_per_unit": _money(value, cur) if basis >= 0.3 else "",
                        "content_value_currency": cur if basis >= 0.3 else "",
                    }
                )
        return lines


# --------------------------------------------------------------------------- parties

_CN = {
    "cities": (
        ("Shenzhen", "深圳"),
        ("Shanghai", "上海"),
        ("Beijing", "北京"),
        ("Suzhou", "苏州"),
        ("Ningbo", "宁波"),
        ("Baotou", "包头"),
        ("Ganzhou", "赣州"),
        ("Xiamen", "厦门"),
        ("Guangzhou", "广州"),
        ("Tianjin", "天津"),
        ("Hefei", "合肥"),
        ("Chengdu", "成都"),
        ("Wuhan", "武汉"),
        ("Xi'an", "西安"),
    ),
    "brands": (
        ("Huaxin", "华信"),
        ("Zhongke", "中科"),
        ("Jinli", "金力"),
        ("Tianhe", "天和"),
        ("Hengtong", "恒通"),
        ("Ruixin", "瑞芯"),
        ("Xinyuan", "鑫源"),
        ("Dongfang", "东方"),
        ("Guoxin", "国芯"),
        ("Haitai", "海泰"),
        ("Yuanhang", "远航"),
        ("Boyuan", "博远"),
        ("Jingwei", "精威"),
        ("Kaida", "凯达"),
    ),
    "sectors": (
        ("Electronics", "电子"),
        ("Magnetic Materials", "磁材"),
        ("Precision Machinery", "精密机械"),
        ("Semiconductor", "半导体"),
        ("Technology", "科技"),
        ("Motor", "电机"),
        ("New Energy", "新能源"),
        ("Medical Devices", "医疗器械"),
        ("Automation", "自动化"),
    ),
}
_TW_SECTORS = (
    ("Electronics", "電子"),
    ("Magnetic Materials", "磁材"),
    ("Precision Machinery", "精密機械"),
    ("Semiconductor", "半導體"),
    ("Technology", "科技"),
    ("Motor", "電機"),
    ("Automation", "自動化"),
)
_TW_CITIES = {
    "TW": (("Taipei", "台北"), ("Hsinchu", "新竹"), ("Taichung", "台中"), ("Kaohsiung", "高雄")),
    "HK": (("Hong Kong", "香港"), ("Kowloon", "九龍")),
    "MO": (("Macao", "澳門"),),
}
_TW_BRANDS = (
    ("Huaxin", "華信"),
    ("Hengtong", "恒通"),
    ("Ruixin", "瑞芯"),
    ("Dongfang", "東方"),
    ("Haitai", "海泰"),
    ("Yuanhang", "遠航"),
    ("Kaida", "凱達"),
    ("Jinlong", "金龍"),
    ("Hongyu", "宏宇"),
)
_JP = {
    "cities": (
        ("Tokyo", "東京"),
        ("Osaka", "大阪"),
        ("Nagoya", "名古屋"),
        ("Yokohama", "横浜"),
        ("Kyoto", "京都"),
        ("Kobe", "神戸"),
    ),
    "sectors": (
        ("Denki", "電機"),
        ("Seiko", "精工"),
        ("Jiki", "磁気"),
        ("Handotai", "半導体"),
        ("Kogyo", "工業"),
        ("Iryo Kiki", "医療機器"),
        ("Seimitsu", "精密"),
    ),
}
_KR = {
    "brands": (
        ("Hanil", "한일"),
        ("Daesung", "대성"),
        ("Samhwa", "삼화"),
        ("Shinwoo", "신우"),
        ("Sejin", "세진"),
        ("Kumho", "금호"),
        ("Dongil", "동일"),
    ),
    "sectors": (
        ("Electronics", "전자"),
        ("Precision", "정밀"),
        ("Semiconductor", "반도체"),
        ("Motors", "모터"),
        ("Materials", "소재"),
        ("Industrial", "산업"),
    ),
}
_RU = {
    "brands": (
        ("Magnit-Tekh", "Магнит-Тех"),
        ("Uralpribor", "Уралприбор"),
        ("Sibelektro", "Сибэлектро"),
        ("Nevskiy Zavod", "Невский завод"),
    )
}
_LATIN_BRANDS = (
    "Apex",
    "Borealis",
    "Cobalt Ridge",
    "Delta",
    "Everest",
    "Falcon",
    "Granite",
    "Helios",
    "Ionic",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nova",
    "Orion",
    "Pinnacle",
    "Quantum",
    "Riverstone",
    "Summit",
    "Titan",
    "Umbra",
    "Vertex",
    "Westfield",
    "Zenith",
    "Nordlicht",
    "Alpen",
    "Sirius",
    "Atlas",
    "Brightwater",
    "Cedar",
)
_LATIN_SECTORS = (
    "Motion",
    "Electronics",
    "Magnetics",
    "Robotics",
    "Medical Systems",
    "Drives",
    "Automation",
    "Semiconductor",
    "Energy Systems",
    "Precision Parts",
    "Sensors",
    "Storage",
    "Industrial Supply",
)
_SUFFIX = {
    "US": "Inc.",
    "CA": "Inc.",
    "DE": "GmbH",
    "CH": "AG",
    "FR": "SAS",
    "IT": "S.p.A.",
    "NL": "B.V.",
    "ES": "S.L.",
    "GB": "Ltd",
    "IN": "Pvt. Ltd.",
    "NA": "(Pty) Ltd",
    "ZA": "(Pty) Ltd",
    "BR": "Ltda.",
    "MX": "S.A. de C.V.",
    "PL": "Sp. z o.o.",
    "CZ": "s.r.o.",
    "SE": "AB",
    "AU": "Pty Ltd",
    "SG": "Pte. Ltd.",
    "MY": "Sdn. Bhd.",
    "TH": "Co., Ltd.",
    "VN": "Co., Ltd.",
    "TR": "A.S.",
    "AE": "FZE",
    "IL": "Ltd.",
}
_OTHER_TYPES = {
    "military": ("{c} Army Materiel Depot No. {n}", "{c} Naval Armaments Directorate", "{b} Defence Systems {s}"),
    "research": (
        "{c} Institute of Advanced Materials",
        "University of {c}, Dept. of Physics",
        "{b} Research Laboratory {s}",
    ),
    "government": ("{c} Municipal Transit Authority", "Ministry of Energy, {c} Office", "{c} Port Authority"),
    "ngo": ("{b} Relief Foundation", "Doctors for Disaster Relief ({c})", "{b} Medical Aid"),
    "individual": ("{g} {f}",),
}
_GIVEN = ("Alex", "Maria", "Jonas", "Priya", "Kenji", "Li", "Omar", "Sara", "Tomas", "Ines")
_FAMILY = ("Schmidt", "Tanaka", "Kim", "Garcia", "Nakamura", "Patel", "Novak", "Silva", "Dubois", "Wang")
_CAPITALS = {
    "US": "Springfield",
    "DE": "Stuttgart",
    "JP": "Sendai",
    "KR": "Daejeon",
    "CN": "Hefei",
    "HK": "Kowloon",
    "TW": "Tainan",
    "MO": "Taipa",
    "IN": "Pune",
    "NA": "Windhoek",
    "GB": "Leeds",
    "FR": "Lyon",
    "IT": "Turin",
    "NL": "Eindhoven",
    "MX": "Monterrey",
    "BR": "Campinas",
    "VN": "Hai Phong",
    "TH": "Rayong",
    "SG": "Jurong",
    "MY": "Penang",
    "TR": "Bursa",
    "AE": "Sharjah",
    "IL": "Haifa",
    "CA": "Waterloo",
    "AU": "Adelaide",
    "PL": "Wroclaw",
    "CZ": "Brno",
    "SE": "Vasteras",
    "ES": "Bilbao",
    "RU": "Yekaterinburg",
    "ZA": "Durban",
    "CH": "Basel",
}

# Synthetic restricted-list entries (fictional names) and the parties built to match them.
RESTRICTED = (
    # entry_id, list_id, name, name_local, aliases, country, listed_on, delisted_on, source_ref
    (
        "RP-S001",
        "mofcom_control_list",
        "Aurora Defense Systems Inc.",
        "",
        "ADS Inc.|Aurora Defence Systems",
        "US",
        "2025-01-02",
        "",
        "MOFCOM export control control list, synthetic sample entry",
    ),
    (
        "RP-S002",
        "mofcom_control_list",
        "Kestrel Aerospace Technologies LLC",
        "",
        "",
        "US",
        "2025-04-04",
        "",
        "MOFCOM export control control list, synthetic sample entry",
    ),
    (
        "RP-S003",
        "mofcom_watch_list",
        "Nordlicht Präzisionstechnik GmbH",
        "",
        "Nordlicht PT",
        "DE",
        "2025-10-09",
        "",
        "MOFCOM watch list, synthetic sample entry",
    ),
    (
        "RP-S004",
        "mofcom_watch_list",
        "Hsinchu Jingwei Electronics Co., Ltd.",
        "新竹精威電子股份有限公司",
        "",
        "TW",
        "2025-10-09",
        "",
        "MOFCOM watch list, synthetic sample entry",
    ),
    (
        "RP-S005",
        "unreliable_entity_list",
        "Meridian Drone Works Corp.",
        "",
        "Meridian UAS",
        "US",
        "2025-02-04",
        "",
        "Unreliable Entity List, synthetic sample entry",
    ),
    (
        "RP-S006",
        "unreliable_entity_list",
        "Blue Harbor Maritime Defense Ltd",
        "",
        "",
        "GB",
        "2025-03-04",
        "2025-11-10",
        "Unreliable Entity List, synthetic sample entry (delisted)",
    ),
    (
        "RP-S007",
        "mofcom_control_list",
        "Sentinel Robotics K.K.",
        "センチネル・ロボティクス株式会社",
        "",
        "JP",
        "2025-10-09",
        "2026-01-15",
        "MOFCOM export control control list, synthetic sample entry (delisted)",
    ),
    (
        "RP-S008",
        "mofcom_control_list",
        "Granite Peak Munitions Inc.",
        "",
        "GPM",
        "CA",
        "2025-04-04",
        "",
        "MOFCOM export control control list, synthetic sample entry",
    ),
)
# party key -> (name, name_local, country, party_type, aliases)
SPECIAL_PARTIES = {
    "aurora": ("Aurora Defense Systems Inc.", "", "US", "commercial", ""),
    "aurora_sub": ("Aurora Precision Optics LLC", "", "US", "commercial", ""),
    "aurora_subsub": ("Bright Lens Components Inc.", "", "US", "commercial", "BLC"),
    "aurora_fp": ("Aurora Defense Catering Services", "", "US", "commercial", ""),
    "kestrel": ("Kestrel Aerospace Technologies", "", "US", "commercial", "Kestrel Aero"),
    "granite": ("Granite Peak Munitions, Inc.", "", "CA", "commercial", ""),
    "granite_fp": ("Granite Peak Mining Inc.", "", "CA", "commercial", ""),
    "aggregate": ("Northfield Motion Controls Inc.", "", "US", "commercial", ""),
    "nordlicht": ("Nordlicht Praezisionstechnik GmbH", "", "DE", "commercial", "Nordlicht PT"),
    "jingwei": ("Jingwei Electronics (Hsinchu) Co.", "新竹精威電子股份有限公司", "TW", "commercial", ""),
    "meridian": ("Meridian Drone Works Corp.", "", "US", "commercial", ""),
    "blueharbor": ("Blue Harbor Maritime Defense Ltd", "", "GB", "commercial", ""),
    "sentinel": ("Sentinel Robotics K.K.", "センチネル・ロボティクス株式会社", "JP", "commercial", ""),
    "army": ("Northern Army Materiel Depot No. 7", "", "IN", "military", ""),
    "namibia": ("Namib Wind Power (Pty) Ltd", "", "NA", "commercial", "NWP"),
    "hospital": ("Windhoek Central Hospital", "", "NA", "government", ""),
    "relief": ("Helios Relief Foundation", "", "TR", "ngo", ""),
    "fab": ("Hsinchu Advanced Logic Fab Co., Ltd.", "新竹先進邏輯晶圓股份有限公司", "TW", "commercial", "HALF"),
}
SPECIAL_OWNERSHIP = (  # owner, owned, pct, valid_from, valid_to
    ("aurora", "aurora_sub", "60", "2019-05-01", ""),
    ("aurora_sub", "aurora_subsub", "70", "2021-01-01", ""),
    ("kestrel", "aggregate", "30", "2020-01-01", ""),
    ("granite", "aggregate", "25", "2020-01-01", "2025-08-31"),
    ("granite", "aggregate", "26", "2025-09-01", ""),
    ("nordlicht", "jingwei", "49.99", "2022-03-01", ""),
)
SCREENING = (  # party key, entry, decision, decided_on, decided_by, note
    ("aurora_fp", "RP-S001", "false_positive", "2025-03-10", "analyst.mueller", "catering company, no relation"),
    ("granite_fp", "RP-S008", "false_positive", "2025-05-02", "analyst.chen", "mining company, different owners"),
    ("kestrel", "RP-S002", "confirmed_match", "2025-04-20", "analyst.chen", "same entity, legal form omitted"),
    ("jingwei", "RP-S004", "confirmed_match", "2025-10-15", "analyst.sato", "local name identical"),
)


def _parties(world: World, rng: random.Random) -> tuple[list[Party], dict[str, Party]]:
    parties: list[Party] = []
    special: dict[str, Party] = {}
    used: set[str] = set()

    def add(name, local, country, ptype, aliases, weight=1.0) -> Party:
        p = Party(f"P{len(parties) + 1:06d}", name, local, country, ptype, aliases, weight)
        used.add(name)
        parties.append(p)
        return p

    for key, (name, local, country, ptype, aliases) in SPECIAL_PARTIES.items():
        special[key] = add(name, local, country, ptype, aliases, weight=3.0)
    dest = _cum(DESTINATIONS)
    ptypes = _cum(
        (("commercial", 900), ("military", 15), ("research", 40), ("government", 20), ("ngo", 15), ("individual", 10))
    )
    total = world.c["parties"]
    i = 0
    while len(parties) < total:
        if i < 3 * len(DESTINATIONS):
            country = DESTINATIONS[i % len(DESTINATIONS)][0]  # at least three parties per destination
        else:
            country = _pick(rng, dest)
        i += 1
        ptype = _pick(rng, ptypes)
        name, local, aliases = _party_name(rng, country, ptype)
        if name in used:
            name = f"{name} ({_CAPITALS.get(country, 'Branch')} {rng.randrange(2, 99)})"
            if name in used:
                continue
        add(name, local, country, ptype, aliases, weight=_log_uniform(rng, 0.2, 20.0))
    return parties, special


def _party_name(rng: random.Random, country: str, ptype: str) -> tuple[str, str, str]:
    city = _CAPITALS.get(country, "Central")
    if ptype != "commercial":
        tmpl = rng.choice(_OTHER_TYPES[ptype])
        name = tmpl.format(
            c=city,
            n=rng.randrange(2, 40),
            b=rng.choice(_LATIN_BRANDS),
            s=rng.choice(("Ltd", "Inc.", "Group")),
            g=rng.choice(_GIVEN),
            f=rng.choice(_FAMILY),
        )
        return name, "", ""
    aliases = ""
    if country == "CN":
        (ce, cl), (be, bl) = rng.choice(_CN["cities"]), rng.choice(_CN["brands"])
        se, sl = rng.choice(_CN["sectors"])
        name, local = f"{ce} {be} {se} Co., Ltd.", f"{cl}{bl}{sl}有限公司"
        if rng.random() < 0.3:
            aliases = f"{be} {se}|{be[0]}{''.join(w[0] for w in se.split())}"
    elif country in _TW_CITIES:
        (ce, cl), (be, bl), (se, sl) = rng.choice(_TW_CITIES[country]), rng.choice(_TW_BRANDS), rng.choice(_TW_SECTORS)
        suffix, lsuffix = ("Co., Ltd.", "股份有限公司") if country == "TW" else ("Limited", "有限公司")
        name, local = f"{be} {se} ({ce}) {suffix}", f"{cl}{bl}{sl}{lsuffix}"
        if rng.random() < 0.3:
            aliases = f"{be} {se}"
    elif country == "JP":
        (ce, cl), (se, sl) = rng.choice(_JP["cities"]), rng.choice(_JP["sectors"])
        (se2, sl2) = rng.choice(_JP["sectors"])
        if se2 == se:
            se2, sl2 = "Kogyo", "工業"
        name, local = f"{ce} {se} {se2} K.K.", f"{cl}{sl}{sl2}株式会社"
        if rng.random() < 0.3:
            aliases = f"{ce} {se} Co., Ltd."
    elif country == "KR":
        (be, bl), (se, sl) = rng.choice(_KR["brands"]), rng.choice(_KR["sectors"])
        name, local = f"{be} {se} Co., Ltd.", f"주식회사 {bl}{sl}"
        if rng.random() < 0.3:
            aliases = f"{be} {se}"
    elif country == "RU":
        be, bl = rng.choice(_RU["brands"])
        name, local = f"OOO {be} {rng.choice(('Systems', 'Trade', 'Industries'))}", f"ООО «{bl}»"
    else:
        brand, sector = rng.choice(_LATIN_BRANDS), rng.choice(_LATIN_SECTORS)
        name, local = f"{brand} {sector} {_SUFFIX.get(country, 'Ltd.')}", ""
        if rng.random() < 0.2:
            aliases = f"{brand} {sector}|{''.join(w[0] for w in (brand + ' ' + sector).split())}"
    return name, local, aliases


def _ownership_rows(parties: list[Party], special: dict[str, Party], rng: random.Random, stamp: _Stamp):
    ts = stamp.at(dt.date(2027, 1, 2), 120)
    rows, held = [], {}
    for o, d, pct, vf, vt in SPECIAL_OWNERSHIP:
        rows.append((special[o].party_id, special[d].party_id, pct, vf, vt, ts))
    seen = {(r[0], r[1], r[3]) for r in rows}
    first = len(SPECIAL_PARTIES)
    ordinary = parties[first:]
    for _ in range(max(4, len(ordinary) // 6)):
        owned_i = rng.randrange(1, len(ordinary))
        owner = ordinary[rng.randrange(0, owned_i)]  # owners come earlier: no cycle
        owned = ordinary[owned_i]
        pct = rng.choice((100, 100, 75, 60, 51, 50, 49, 30, 25, 10))
        if held.get(owned.party_id, 0) + pct > 100:
            continue
        held[owned.party_id] = held.get(owned.party_id, 0) + pct
        vf = _rand_day(rng, dt.date(2015, 1, 1), dt.date(2026, 6, 30))
        if (owner.party_id, owned.party_id, _d(vf)) in seen:
            continue
        seen.add((owner.party_id, owned.party_id, _d(vf)))
        if rng.random() < 0.1 and vf < dt.date(2026, 6, 1):  # stake changes mid-period
            change = _rand_day(rng, max(vf, dt.date(2025, 1, 1)), dt.date(2026, 10, 31))
            rows.append((owner.party_id, owned.party_id, _dec(pct, 2), _d(vf), _d(change), ts))
            new_pct = min(100, pct + rng.choice((-20, -5, 5, 20)) if pct + 20 <= 100 else pct - 20)
            rows.append(
                (owner.party_id, owned.party_id, _dec(max(new_pct, 1), 2), _d(change + dt.timedelta(days=1)), "", ts)
            )
        else:
            rows.append((owner.party_id, owned.party_id, _dec(pct, 2), _d(vf), "", ts))
    return [
        _row("parties/ownership", dict(zip(contract.extract("parties/ownership").column_names, r, strict=False)))
        for r in rows
    ]


# --------------------------------------------------------------------------- declarations


class _Declarations:
    """Draws export declaration lines day by day (streamed)."""

    def __init__(self, world: World, parties: list[Party], special: dict[str, Party], rng: random.Random):
        self.w = world
        self.rng = rng
        self.special = special
        self.by_country: dict[str, list[Party]] = {}
        for p in parties:
            self.by_country.setdefault(p.country, []).append(p)
        self.consignees = {
            c: _cum([(p.party_id, p.weight * (0.1 if p.party_type == "individual" else 1)) for p in ps])
            for c, ps in self.by_country.items()
        }
        self.n_lines = _cum(_lines_per_declaration(world.shape.lines_per_declaration))
        # the items that are exported at all (Shape.exported_items of them, drawn once)
        pick = random.Random(f"exported:{world.rng.random()}")
        share = min(1.0, world.exported_items / max(1.0, 0.95 * len(world.items)))
        self.exportable = [pick.random() < share for _ in world.items]
        self.pools = {e[0]: self._pool(e[1]) for e in ENTITIES}
        self.cur_index = {c: i for i, c in enumerate(sorted(FX))}
        self.variants: dict[int, list[tuple[str, str]]] = {}
        self.joined: dict[int, tuple[str, ...]] = {}
        self.fast: dict[tuple[str, str], tuple] = {}
        self.entity_currency = _cum([((e[0], e[1], c), e[3] * w) for e in ENTITIES for c, w in e[2]])
        self.dest_consignee = {}
        for e in ENTITIES:
            pairs = []
            for c, w in DESTINATIONS:
                if c == e[1]:
                    continue
                ids, cum, tot = self.consignees[c]
                prev = 0.0
                for pid, cw in zip(ids, cum, strict=False):
                    pairs.append(((c, pid), w * (cw - prev) / tot))
                    prev = cw
            self.dest_consignee[e[0]] = _cum(pairs)
        self.end_uses_q = _cum([(f"{_safe(c)},{_quote(s)}", w) for c, s, w in END_USES])
        self.other_remarks_q = tuple(_quote(r) for r in OTHER_REMARKS)
        self.line_nos = [str(i) for i in range(1, 31)]
        for ids, _, _ in self.consignees.values():
            for pid in ids:
                _safe(pid)

    def _pool(self, country: str):
        """What an entity exports: what its plants make, some resale of bought items, a little of others'."""
        rng = self.rng
        w = self.w
        pairs = []
        if country == "CN":
            tiers = {
                "rare_earth_material": 45,
                "permanent_magnet": 30,
                "sputtering_target": 10,
                "assembly": 12,
                "other": 3,
            }
        else:
            tiers = {
                "assembly": 75,
                "permanent_magnet": 10,
                "sputtering_target": 5,
                "rare_earth_material": 6,
                "other": 4,
            }
        for form, share in tiers.items():
            own = [
                it
                for it in w.items
                if it.product_form == form
                and (it.country == country or (it.item_type == "purchased" and form != "assembly"))
            ]
            if form == "assembly":
                own = [
                    it for it in w.items if it.product_form == form and (it.country == country or rng.random() < 0.03)
                ]
            if form == "other":
                own = [it for it in w.others if it.country == country or rng.random() < 0.05]
            own = [it for it in own if self.exportable[it.idx]]
            if not own:
                continue
            if form == "assembly":
                level_share = {0: 35, 1: 25, 2: 25, 3: 15}
                by_level: dict[int, list[Item]] = {}
                for it in own:
                    by_level.setdefault(it.level, []).append(it)
                for lvl, its in by_level.items():
                    ws = [_log_uniform(rng, 0.1, 10) for _ in its]
                    tot = sum(ws)
                    pairs += [(it, share * level_share[lvl] / 100 * x / tot) for it, x in zip(its, ws, strict=False)]
            else:
                ws = [_log_uniform(rng, 0.1, 10) for _ in own]
                tot = sum(ws)
                pairs += [(it, share * x / tot) for it, x in zip(own, ws, strict=False)]
        return _cum(pairs)

    def _variant_table(self, item: Item, currency: str) -> list[tuple[str, str]]:
        """32 (quantity, line_value) text pairs of an item in a currency: no draws needed per line."""
        lo, hi = item.qty_range
        out = []
        fx = FX[currency]
        for v in range(32):
            q = lo * (hi / lo) ** (v / 31)
            q = round(q, item.qty_places) if item.qty_places else max(1, int(round(q)))
            jitter = 0.9 + 0.2 * ((v * 13) % 32) / 31
            value = q * item.price_eur * fx * jitter
            out.append((_pos(q, item.qty_places) if item.qty_places else str(q), _money(value, currency)))
        return out

    def line_values(self, item: Item, currency: str, v: int) -> tuple[str, str]:
        key = item.idx * 8 + self.cur_index[currency]
        table = self.variants.get(key)
        if table is None:
            table = self.variants[key] = self._variant_table(item, currency)
        return table[v]

    def _fast_pool(self, ent_id: str, currency: str):
        """An entity's item pool for one currency, as parallel lists for the hot loop."""
        key = (ent_id, currency)
        if key not in self.fast:
            items, cum, total = self.pools[ent_id]
            cn = ENTITIES_BY_ID[ent_id][1] == "CN"
            self.fast[key] = (
                cum,
                total,
                [None] * len(items),
                items,
                [_safe(it.item_id) for it in items],
                [_safe(it.hs_code) for it in items],
                [_quote(it.remark_cn) if cn else "" for it in items],
            )
        return self.fast[key]

    def _joined(self, item: Item, currency: str) -> tuple[str, ...]:
        """32 `quantity,line_value` texts of an item in a currency (shared by all entities)."""
        key = item.idx * 8 + self.cur_index[currency]
        table = self.joined.get(key)
        if table is None:
            table = self.joined[key] = tuple(f"{_safe(q)},{_safe(v)}" for q, v in self._variant_table(item, currency))
        return table

    def day_text(self, rng: random.Random, day_str: str, extracted_at: str, n: int, seq: int, out: list[str]) -> int:
        """Append n CSV lines of one export date to out; returns the last declaration number used.

        The hot loop: every text that can need quoting (statements, remarks) is quoted once by
        the csv module (`_quote`), everything else is checked safe (`_safe`) when first used,
        and a line is one f-string. tests/python/test_sample.py checks that the bytes equal
        what csv.writer writes for the same rows.
        """
        random_ = rng.random
        getrandbits = rng.getrandbits
        ec_vals, ec_cum, ec_tot = self.entity_currency
        nl_vals, nl_cum, nl_tot = self.n_lines
        eu_vals, eu_cum, eu_tot = self.end_uses_q
        line_nos = self.line_nos
        dest_tables, consignees = self.dest_consignee, self.consignees
        fast_pool, joined = self._fast_pool, self._joined
        other_remarks = self.other_remarks_q
        n_other = len(other_remarks)
        p_remark, p_multi = P_FOC + P_REMARK, P_FOC + P_REMARK + P_MULTILINE_REMARK
        end = f",{_safe(extracted_at)}\n"
        prefix = "EX" + day_str.replace("-", "")
        append = out.append
        while n > 0:
            ent_id, ent_country, cur = ec_vals[bisect(ec_cum, random_() * ec_tot)]
            k = min(n, nl_vals[bisect(nl_cum, random_() * nl_tot)])
            n -= k
            dvals, dcum, dtot = dest_tables[ent_id]
            dest, consignee = dvals[bisect(dcum, random_() * dtot)]
            r = random_()
            if r < 0.7:
                end_user = consignee
            elif r > 0.95:
                end_user = ""
                if r > 0.99:
                    consignee = ""
            else:
                pvals, pcum, ptot = consignees[dest]
                end_user = pvals[bisect(pcum, random_() * ptot)]
            code_statement = eu_vals[bisect(eu_cum, random_() * eu_tot)]
            seq += 1
            head = f"{prefix}{seq:06d},"
            mid = f",{day_str},{ent_id},{ent_country},"
            tail = f",{cur},{dest},{consignee},{end_user},{code_statement},"
            cum, total, tabs, items, ids, hss, rems = fast_pool(ent_id, cur)
            zero = "0" if cur in CURRENCY_DECIMALS else "0.00"
            for j in range(k):
                i = bisect(cum, random_() * total)
                tab = tabs[i]
                if tab is None:
                    tab = tabs[i] = joined(items[i], cur)
                qv = tab[getrandbits(5)]
                remark = rems[i]
                r = random_()
                if r >= 0.92:
                    remark = ""  # a Chinese exporter's remarks column left empty
                elif r < p_multi:
                    if r < P_FOC:
                        qv = f"{qv.split(',')[0]},{zero}"
                        remark = _quote(FOC_REMARK)
                    elif r < p_remark:
                        remark = other_remarks[getrandbits(16) % n_other]
                    else:
                        remark = _quote("see attachment\nPacking list no. " + str(getrandbits(20)))
                append(f"{head}{line_nos[j]}{mid}{ids[i]},{qv}{tail}{hss[i]},{remark}{end}")
        return seq

    def scenarios(self) -> list[tuple[str, list[tuple]]]:
        """Declarations every sample holds: (export_date, rows without the date/id/extracted_at)."""
        w, s = self.w, self.special
        mat = w.material_by_form
        part1_magnet = next(m for m in w.magnets if any(x in contract.PART1_SUBSTANCES for x, _ in m.substances))
        fg = w.levels[0][0]  # the finished good with the depth-5 chain
        module = w.levels[1][0]
        tb_target = next(t for t in w.targets if t.target_material == "Tb")
        ent = {e[0]: e for e in ENTITIES}

        def decl(day, ent_id, cur, dest, consignee, end_user, code, statement, lines):
            rows = []
            for j, (item, v, remark, foc) in enumerate(lines, start=1):
                qty, value = self.line_values(item, cur, v)
                if foc:
                    value = "0.00"
                rows.append(
                    (
                        str(j),
                        ent_id,
                        ent[ent_id][1],
                        item.item_id,
                        qty,
                        value,
                        cur,
                        dest,
                        consignee.party_id if consignee else "",
                        end_user.party_id if end_user else "",
                        code,
                        statement,
                        item.hs_code,
                        remark,
                    )
                )
            return day, rows

        us = self.by_country["US"][-1]
        de = self.by_country["DE"][-1]
        return [
            decl(
                "2025-04-04",
                "LE-CN01",
                "CNY",
                "US",
                us,
                us,
                "civil",
                "",
                [(mat["Dy_metal"], 5, "1C905.a controlled", False), (mat["Tb_oxide"], 3, "1C904.b controlled", False)],
            ),
            decl(
                "2025-04-03",
                "LE-CN01",
                "USD",
                "JP",
                self.by_country["JP"][-1],
                None,
                "civil",
                "",
                [(mat["Dy_metal"], 7, "1C905.a controlled", False)],
            ),
            decl(
                "2025-06-18",
                "LE-CN02",
                "USD",
                "HK",
                self.by_country["HK"][-1],
                self.by_country["HK"][-1],
                "civil",
                "",
                [(mat["Sm_metal"], 2, "", False), (mat["Nd_metal"], 9, "non-controlled", False)],
            ),
            decl(
                "2025-12-01",
                "LE-DE01",
                "EUR",
                "NA",
                s["namibia"],
                s["namibia"],
                "civil",
                "wind power generation",
                [(fg, 3, "", False), (module, 1, "", False)],
            ),
            decl(
                "2025-12-02",
                "LE-DE01",
                "EUR",
                "NA",
                s["hospital"],
                s["hospital"],
                "humanitarian_medical",
                "emergency medical equipment for outbreak response",
                [(fg, 0, "", False)],
            ),
            decl(
                "2026-02-10",
                "LE-JP01",
                "JPY",
                "TW",
                s["fab"],
                s["fab"],
                "",
                "R&D of 14 nm logic chips",
                [(tb_target, 4, "", False)],
            ),
            decl(
                "2026-02-11",
                "LE-KR01",
                "USD",
                "TW",
                s["fab"],
                s["fab"],
                "",
                "232-layer NAND production",
                [(tb_target, 6, "", False), (part1_magnet, 10, "", False)],
            ),
            decl(
                "2026-03-03",
                "LE-US01",
                "USD",
                "MO",
                self.by_country["MO"][-1],
                None,
                "",
                "to be advised",
                [(part1_magnet, 12, "", False)],
            ),
            decl("2026-04-15", "LE-DE01", "EUR", "US", s["aurora"], s["aurora"], "civil", "", [(module, 2, "", False)]),
            decl("2026-04-16", "LE-DE01", "EUR", "US", us, s["aurora_subsub"], "civil", "", [(fg, 2, "", False)]),
            decl(
                "2026-04-17",
                "LE-VN01",
                "USD",
                "US",
                s["aggregate"],
                s["aggregate"],
                "civil",
                "",
                [(part1_magnet, 20, "", False)],
            ),
            decl(
                "2026-05-05", "LE-JP01", "JPY", "US", s["kestrel"], s["kestrel"], "civil", "", [(module, 8, "", False)]
            ),
            decl(
                "2026-05-06",
                "LE-JP01",
                "JPY",
                "US",
                s["aurora_fp"],
                s["aurora_fp"],
                "civil",
                "",
                [(module, 9, "", False)],
            ),
            decl(
                "2026-05-07",
                "LE-MX01",
                "USD",
                "CA",
                s["granite_fp"],
                s["granite_fp"],
                "civil",
                "",
                [(fg, 4, "", False)],
            ),
            decl(
                "2026-06-01",
                "LE-US01",
                "USD",
                "DE",
                s["nordlicht"],
                s["nordlicht"],
                "civil",
                "",
                [(part1_magnet, 3, "", False)],
            ),
            decl(
                "2026-06-02",
                "LE-TW01",
                "USD",
                "US",
                s["meridian"],
                s["meridian"],
                "civil",
                "",
                [(module, 5, "", False)],
            ),
            decl(
                "2026-06-03",
                "LE-DE01",
                "EUR",
                "GB",
                s["blueharbor"],
                s["blueharbor"],
                "civil",
                "",
                [(module, 6, "", False)],
            ),
            decl("2026-06-04", "LE-DE01", "EUR", "JP", s["sentinel"], s["sentinel"], "civil", "", [(fg, 7, "", False)]),
            decl("2026-07-01", "LE-US01", "USD", "IN", s["army"], s["army"], "civil", "", [(module, 10, "", False)]),
            decl(
                "2026-07-02",
                "LE-DE01",
                "EUR",
                "TR",
                s["relief"],
                s["aurora"],
                "humanitarian_disaster",
                "Earthquake relief, emergency power units",
                [(fg, 11, "", False)],
            ),
            decl(
                "2026-08-20",
                "LE-DE01",
                "EUR",
                "US",
                de,
                us,
                "civil",
                "",
                [(part1_magnet, 14, FOC_REMARK, True), (module, 15, "", False)],
            ),
            decl(
                "2026-11-10",
                "LE-JP01",
                "JPY",
                "KR",
                self.by_country["KR"][-1],
                None,
                "civil",
                "",
                [(mat["Dy_metal"], 16, "", False)],
            ),
            decl(
                "2026-11-11",
                "LE-JP01",
                "JPY",
                "KR",
                self.by_country["KR"][-1],
                None,
                "civil",
                "",
                [(mat["Dy_metal"], 16, "", False)],
            ),
            decl(
                "2025-11-07",
                "LE-KR01",
                "KRW",
                "CN",
                self.by_country["CN"][-1],
                None,
                "civil",
                "",
                [(part1_magnet, 17, "", False)],
            ),
        ]


def _licence_rows(world: World, parties_by_country, rng: random.Random, stamp: _Stamp) -> list[tuple]:
    rows = []
    controlled = [it for it in world.items if it.remark_cn.endswith("controlled") and it.remark_cn[0] == "1"]
    for i in range(world.c["licences"]):
        ent_id, country = ENTITIES[6 + i % 2][:2] if i % 3 else ENTITIES[rng.randrange(len(ENTITIES))][:2]
        general = rng.random() < 0.15
        item = "" if general and rng.random() < 0.6 else rng.choice(controlled).item_id
        dest = "" if general or rng.random() < 0.2 else _pick(rng, _cum([d for d in DESTINATIONS if d[0] != country]))
        end_user = ""
        if dest and not general and rng.random() < 0.5 and parties_by_country.get(dest):
            end_user = rng.choice(parties_by_country[dest]).party_id
        cur = rng.choice(("USD", "CNY", "EUR"))
        vf = _rand_day(rng, dt.date(2025, 4, 10), dt.date(2026, 9, 30))
        vt = vf + dt.timedelta(days=rng.choice((90, 180, 364, 729)))
        qty = "" if general or rng.random() < 0.3 else str(rng.choice((100, 500, 1000, 5000, 20000)))
        value = "" if rng.random() < 0.3 else _money(rng.choice((1e4, 5e4, 2e5, 1e6)) * FX[cur], cur)
        rows.append(
            _row(
                "licences/licences",
                {
                    "licence_id": f"LIC{i + 1:05d}",
                    "licence_number": f"{vf.year}{'TY' if general else 'LD'}{rng.randrange(10**6):06d}",
                    "licence_type": "general" if general else "individual",
                    "holder_entity_id": ent_id,
                    "item_id": item,
                    "destination_country": dest,
                    "end_user_party_id": end_user,
                    "quantity_authorised": qty,
                    "value_authorised": value,
                    "currency": cur if value else "",
                    "valid_from": _d(vf),
                    "valid_to": _d(vt),
                    "extracted_at": stamp.at(vf, 300),
                },
            )
        )
    return rows


def _price_rows(world: World, stamp: _Stamp) -> list[tuple]:
    """Monthly prices (USD per kg) for every substance the certificates use, covering the export period."""
    rng = random.Random(f"prices:{world.rng.random()}")
    rows = []
    day = dt.date(2024, 12, 1)
    level = {s: p for s, p in SUBSTANCE_PRICE_EUR.items()}
    while day <= LAST_EXPORT:
        for s in sorted(level):
            level[s] *= rng.uniform(0.95, 1.06)
            rows.append(
                _row(
                    "reference/rare_earth_prices",
                    {
                        "price_date": _d(day),
                        "substance": s,
                        "price_per_kg": _dec(level[s] * FX["USD"], 2) or "0.01",
                        "currency": "USD",
                        "source": "synthetic sample (ree sample)",
                        "extracted_at": stamp.at(day, 600),
                    },
                )
            )
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return rows


def _fx_rows(seed: int, stamp: _Stamp) -> list[tuple]:
    rng = random.Random(f"fx:{seed}")
    rows, level = [], {c: v for c, v in FX.items() if c != "EUR"}
    day = dt.date(2024, 12, 2)
    while day <= LAST_EXPORT:
        if day.weekday() < 5:
            for c in sorted(level):
                level[c] *= rng.uniform(0.995, 1.005)
                rows.append(
                    _row(
                        "reference/fx_rates",
                        {
                            "rate_date": _d(day),
                            "currency": c,
                            "units_per_eur": _dec(level[c], 4),
                            "extracted_at": stamp.at(day, 900),
                        },
                    )
                )
        day += dt.timedelta(days=1)
    return rows


# --------------------------------------------------------------------------- driver


@dataclass
class Summary:
    out: Path
    rows: dict[str, int]
    declaration_files: int
    seconds: float

    def line(self) -> str:
        n = self.rows.get("customs/export_declarations", 0)
        rate = n / self.seconds if self.seconds else 0
        return (
            f"ree sample: {n:,} declaration lines in {self.declaration_files} daily files, "
            f"{len(self.rows) - 1} other extracts, {self.seconds:.1f} s ({rate:,.0f} lines/s) -> {self.out}"
        )


def _day_counts(total: int, first: dt.date) -> list[int]:
    """Lines per export date from `first` to LAST_EXPORT: fewer at weekends, a slow upward
    trend; exactly `total` in all."""
    days = (LAST_EXPORT - first).days + 1
    weights = []
    for i in range(days):
        wd = (first + dt.timedelta(days=i)).weekday()
        weights.append((1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.15)[wd] * (1 + 0.3 * i / days))
    tot = sum(weights)
    exact = [total * w / tot for w in weights]
    counts = [int(x) for x in exact]
    rest = total - sum(counts)
    for i in sorted(range(days), key=lambda i: (-(exact[i] - counts[i]), i))[:rest]:
        counts[i] += 1
    return counts


def _progress(total: int):
    if not sys.stderr.isatty() or os.environ.get("CI", "").lower() == "true":
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("declarations"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


_DAY_STATE = None  # (declarations, stamp, seed, folder) while generate() writes the daily files


def _write_day(task) -> int:
    """Write one export date's file; its draws come from its own stream (seed, date), so days
    can be written in any order or in parallel and still give the same bytes."""
    ordinal, n, scenarios = task
    decls, stamp, seed, folder = _DAY_STATE
    day = dt.date.fromordinal(ordinal)
    day_str = day.isoformat()
    rng = random.Random(f"declarations:{seed}:{day_str}")
    extracted_at = stamp.at(day + dt.timedelta(days=1))
    prefix = "EX" + day_str.replace("-", "")
    seq = 0
    written = 0
    f, w = _open_csv(folder / f"{day_str}.csv", _DECL_FIELDS)
    with f:
        for srows in scenarios:
            seq += 1
            w.writerows([(f"{prefix}{seq:06d}", r[0], day_str, *r[1:], extracted_at) for r in srows])
            written += len(srows)
        done = 0
        buf: list[str] = []
        while done < n:
            k = min(CHUNK_ROWS, n - done)
            seq = decls.day_text(rng, day_str, extracted_at, k, seq, buf)
            f.write("".join(buf))
            buf.clear()
            done += k
    return written + n


def generate(
    out: Path,
    lines: int = 10_000,
    seed: int = 1,
    with_fx_rates: bool = False,
    quiet: bool = False,
    workers: int | None = None,
    shape: Shape | None = None,
) -> Summary:
    """Write a landing folder with `lines` export declaration lines into `out` (new or empty).

    `shape`: the size of the world (default `Shape.for_lines(lines)`).
    `workers`: processes writing the daily files (default: 2 where there are 2 cores and at
    least 200,000 lines, else 1); the bytes do not depend on it.
    """
    started = time.perf_counter()
    out = Path(out)
    if lines < 0:
        raise ValueError("lines must be >= 0")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: ree sample writes a new landing folder (remove it first)")
    out.mkdir(parents=True, exist_ok=True)
    if tuple(sorted(_DECL_FIELDS)) != tuple(sorted(contract.extract("customs/export_declarations").column_names)):
        raise RuntimeError("ree.sample's declaration columns no longer match ree.contract")

    world = World(lines, seed, shape)
    rng = world.rng
    stamp = world.stamp
    rows: dict[str, int] = {}
    rows["erp/items"] = _write(out, "erp/items", world.items_rows())
    rows["erp/bom"] = _write(
        out,
        "erp/bom",
        [_row("erp/bom", dict(zip(contract.extract("erp/bom").column_names, r, strict=False))) for r in world.bom_rows],
    )
    rows["procurement/purchase_lines"] = _write(out, "procurement/purchase_lines", world.purchase_rows())
    rows["certificates/material_declarations"] = _write(
        out, "certificates/material_declarations", world.certificate_rows()
    )
    parties, special = _parties(world, rng)
    party_ts = stamp.at(dt.date(2027, 1, 2), 30)
    rows["parties/parties"] = _write(
        out,
        "parties/parties",
        [
            _row(
                "parties/parties",
                {
                    "party_id": p.party_id,
                    "name": p.name,
                    "name_local": p.name_local,
                    "country": p.country,
                    "party_type": p.party_type,
                    "aliases": p.aliases,
                    "extracted_at": party_ts,
                },
            )
            for p in parties
        ],
    )
    rows["parties/ownership"] = _write(out, "parties/ownership", _ownership_rows(parties, special, rng, stamp))
    decls = _Declarations(world, parties, special, rng)
    rows["licences/licences"] = _write(out, "licences/licences", _licence_rows(world, decls.by_country, rng, stamp))
    rows["reference/rare_earth_prices"] = _write(out, "reference/rare_earth_prices", _price_rows(world, stamp))
    rows["reference/restricted_parties"] = _write(
        out,
        "reference/restricted_parties",
        [
            _row(
                "reference/restricted_parties",
                {
                    "list_id": r[1],
                    "entry_id": r[0],
                    "name": r[2],
                    "name_local": r[3],
                    "aliases": r[4],
                    "country": r[5],
                    "listed_on": r[6],
                    "delisted_on": r[7],
                    "source_ref": r[8],
                    "extracted_at": stamp.at(dt.date.fromisoformat(r[6]), 1200),
                },
            )
            for r in RESTRICTED
        ],
    )
    rows["reference/screening_decisions"] = _write(
        out,
        "reference/screening_decisions",
        [
            _row(
                "reference/screening_decisions",
                {
                    "party_id": special[k].party_id,
                    "entry_id": e,
                    "decision": d,
                    "decided_on": on,
                    "decided_by": by,
                    "note": note,
                    "extracted_at": stamp.at(dt.date.fromisoformat(on), 1500),
                },
            )
            for k, e, d, on, by, note in SCREENING
        ],
    )
    if with_fx_rates:
        rows["reference/fx_rates"] = _write(out, "reference/fx_rates", _fx_rows(seed, stamp))

    # declarations: scenarios first (they count towards N), then random lines, one file per day
    scenario_by_day: dict[str, list[list[tuple]]] = {}
    budget = lines
    for day, srows in decls.scenarios():
        if len(srows) <= budget:
            budget -= len(srows)
            scenario_by_day.setdefault(day, []).append(srows)
    first = world.shape.first_export
    counts = _day_counts(budget, first)
    folder = out / "customs" / "export_declarations"
    folder.mkdir(parents=True, exist_ok=True)
    files = 0
    written = 0
    progress = None if quiet else _progress(lines)
    task = progress.add_task("declarations", total=lines) if progress else None
    if progress:
        progress.start()
    # the scenario declarations keep their dates (regulatory boundaries), also outside the window
    by_day = {first.toordinal() + i: n for i, n in enumerate(counts)}
    for day in scenario_by_day:
        by_day.setdefault(dt.date.fromisoformat(day).toordinal(), 0)
    todo = [(o, by_day[o], scenario_by_day.get(_d(dt.date.fromordinal(o)), [])) for o in sorted(by_day)]
    todo = [t for t in todo if t[1] or t[2]]
    global _DAY_STATE
    _DAY_STATE = (decls, stamp, seed, folder)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if lines >= 200_000 else 1
    try:
        if workers > 1:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for n in pool.imap(_write_day, todo, chunksize=4):
                    written += n
                    files += 1
                    if progress:
                        progress.update(task, advance=n)
        else:
            for t in todo:
                n = _write_day(t)
                written += n
                files += 1
                if progress:
                    progress.update(task, advance=n)
    finally:
        _DAY_STATE = None
        if progress:
            progress.stop()
    rows["customs/export_declarations"] = written
    summary = Summary(out=out, rows=rows, declaration_files=files, seconds=time.perf_counter() - started)
    if not quiet:
        print(summary.line(), file=sys.stderr)
    return summary
