"""The demo company: complete, consistent with the contract, realistic and reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.demo_inputs import demo_inputs
from sop_addin.contract import CONTRACT, ColumnType, Role
from sop_addin.contract.validation import check_references, check_table, parse_settings
from sop_addin.core.demo_company import generate_demo
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan

EDITABLE = CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION)
FIRST = pd.Timestamp("2027-01-01")
SIZES = (12, 40, 400)
DTYPES = {
    ColumnType.TEXT: "object",
    ColumnType.NUMBER: "float64",
    ColumnType.FRACTION: "float64",
    ColumnType.INTEGER: "int64",
    ColumnType.MONTH: "datetime64[ns]",
}


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}skus" for n in SIZES])
def demo(request: pytest.FixtureRequest) -> dict[str, pd.DataFrame]:
    return generate_demo(seed=7, skus=request.param)


def _skus(frames: dict[str, pd.DataFrame], lifecycle: str) -> list[str]:
    products = frames["Products"]
    return products.loc[products["lifecycle"] == lifecycle, "sku"].tolist()


# --- reproducibility ----------------------------------------------------------------------


def test_same_seed_gives_the_same_company() -> None:
    first, second = generate_demo(seed=3), generate_demo(seed=3)
    assert list(first) == list(second)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_another_seed_gives_another_company() -> None:
    first, second = generate_demo(seed=3), generate_demo(seed=4)
    assert not first["SalesHistory"].equals(second["SalesHistory"])
    assert not first["Routings"].equals(second["Routings"])


# --- the contract -------------------------------------------------------------------------


def test_every_input_and_assumption_table_with_contract_columns(
    demo: dict[str, pd.DataFrame],
) -> None:
    assert list(demo) == [t.name for t in EDITABLE]
    for table in EDITABLE:
        frame = demo[table.name]
        assert list(frame.columns) == table.column_names, table.name
        assert len(frame) > 0, table.name
        for col in table.columns:
            assert str(frame[col.name].dtype) == DTYPES[col.type], f"{table.name}.{col.name}"
            if col.type is ColumnType.TEXT:
                values = frame[col.name].dropna()
                assert all(type(v) is str for v in values), f"{table.name}.{col.name}"


def test_keys_are_unique(demo: dict[str, pd.DataFrame]) -> None:
    for table in EDITABLE:
        keys = table.key_columns
        assert not demo[table.name].duplicated(subset=keys).any(), table.name


def test_every_reference_resolves(demo: dict[str, pd.DataFrame]) -> None:
    checked = 0
    for table in EDITABLE:
        for col in table.columns:
            if not col.ref_targets:
                continue
            known: set[object] = set()
            for ref_table, ref_column in col.ref_targets:
                known.update(demo[ref_table][ref_column].dropna())
            values = demo[table.name][col.name].dropna()
            missing = set(values) - known
            assert not missing, f"{table.name}.{col.name}: {sorted(missing)[:5]}"
            checked += 1
    assert checked >= 10


def test_required_values_present_finite_and_within_bounds(demo: dict[str, pd.DataFrame]) -> None:
    for table in EDITABLE:
        frame = demo[table.name]
        for col in table.columns:
            where = f"{table.name}.{col.name}"
            series = frame[col.name]
            if col.required:
                assert series.notna().all(), where
            if col.type in (ColumnType.NUMBER, ColumnType.FRACTION, ColumnType.INTEGER):
                numbers = series.dropna().astype(float)
                assert np.isfinite(numbers).all(), where
                if col.min is not None:
                    assert (numbers >= col.min).all(), where
                if col.max is not None:
                    assert (numbers <= col.max).all(), where
            if col.enum:
                assert set(series.dropna()) <= set(col.enum), where


def test_the_contract_validation_finds_no_problem(demo: dict[str, pd.DataFrame]) -> None:
    problems = [p for t in EDITABLE for p in check_table(demo[t.name], t)]
    problems += check_references(demo, CONTRACT)
    assert problems == []


def test_settings_hold_every_setting_and_parse(demo: dict[str, pd.DataFrame]) -> None:
    settings = demo["Settings"]
    assert settings["setting"].tolist() == [s.name for s in CONTRACT.settings]
    values, problems = parse_settings(settings, CONTRACT.table("Settings"), CONTRACT.settings)
    assert problems == []
    assert values["first_plan_month"] == FIRST
    assert values["horizon_months"] == 18
    assert values["currency"] == "EUR"
    assert values["plan_cycle"] == "2027-01"
    assert values["plan_version"] == "2027-01-v1"
    assert values["carrying_rate"] == pytest.approx(0.2)
    assert values["company"]


# --- realism ------------------------------------------------------------------------------


def test_size_of_the_company(demo: dict[str, pd.DataFrame]) -> None:
    products = demo["Products"]
    assert products["family"].nunique() >= 3
    assert products["region"].nunique() == 2
    assert products.groupby("family")["region"].nunique().min() == 2
    assert demo["Resources"]["site"].nunique() == 2
    assert len(demo["Resources"]) >= 6
    assert len(demo["Materials"]) >= 8
    assert len(demo["Suppliers"]) >= 3
    assert set(demo["Budget"]["family"]) == set(products["family"])


def test_history_covers_36_months_before_the_plan(demo: dict[str, pd.DataFrame]) -> None:
    history = demo["SalesHistory"]
    assert history["month"].max() == FIRST - pd.DateOffset(months=1)
    assert history["month"].min() == FIRST - pd.DateOffset(months=36)
    assert (history["month"].dt.day == 1).all()
    quantity = history["quantity"]
    assert (quantity == quantity.round()).all()
    lengths = history.groupby("sku").size()
    assert (lengths[_skus(demo, "mature")] == 36).all()
    assert set(lengths.index) == set(demo["Products"]["sku"])


def test_some_skus_are_intermittent(demo: dict[str, pd.DataFrame]) -> None:
    zero_share = demo["SalesHistory"].groupby("sku")["quantity"].apply(lambda q: (q == 0).mean())
    assert (zero_share > 0.3).sum() >= 1


def test_one_launch_with_short_history(demo: dict[str, pd.DataFrame]) -> None:
    launches = _skus(demo, "launch")
    assert len(launches) == 1
    product = demo["Products"].set_index("sku").loc[launches[0]]
    launch = product["launch_month"]
    assert FIRST - pd.DateOffset(months=12) < launch < FIRST
    rows = demo["SalesHistory"].query("sku == @launches[0]")
    assert rows["month"].min() == launch
    assert 0 < len(rows) < 12
    others = demo["Products"].query("lifecycle != 'launch'")
    assert others["launch_month"].isna().all()


def test_one_phase_out_with_declining_history(demo: dict[str, pd.DataFrame]) -> None:
    phase_outs = _skus(demo, "phase-out")
    assert len(phase_outs) == 1
    product = demo["Products"].set_index("sku").loc[phase_outs[0]]
    assert FIRST <= product["end_of_life_month"] < FIRST + pd.DateOffset(months=18)
    quantity = demo["SalesHistory"].query("sku == @phase_outs[0]")["quantity"].to_numpy()
    assert quantity[-12:].mean() < quantity[:12].mean()
    others = demo["Products"].query("lifecycle != 'phase-out'")
    assert others["end_of_life_month"].isna().all()


def test_routings_primary_and_alternates(demo: dict[str, pd.DataFrame]) -> None:
    routings = demo["Routings"]
    site = demo["Resources"].set_index("resource")["site"]
    primary = routings[routings["priority"] == 1].set_index("sku")
    assert primary.index.is_unique
    assert set(primary.index) == set(demo["Products"]["sku"])
    alternate = routings[routings["priority"] == 2].set_index("sku")
    assert len(alternate) >= len(primary) / 3
    pair = alternate.merge(primary, left_index=True, right_index=True, suffixes=("", "_primary"))
    assert (pair["resource"] != pair["resource_primary"]).all()
    assert (pair["hours_per_unit"] > pair["hours_per_unit_primary"]).all()
    assert (pair["cost_per_unit"] > pair["cost_per_unit_primary"]).all()
    assert (pair["resource"].map(site) != pair["resource_primary"].map(site)).any()
    assert routings["yield"].between(0.9, 0.995).all()


def test_resources_and_their_calendar(demo: dict[str, pd.DataFrame]) -> None:
    resources = demo["Resources"]
    assert set(resources["hours_per_day"]) <= {8.0, 16.0, 24.0}
    assert resources["efficiency"].between(0.75, 0.92).all()
    calendar = demo["ResourceCalendar"]
    months = pd.date_range(FIRST, periods=18, freq="MS")
    assert len(calendar) == len(resources) * len(months)
    assert set(calendar["month"]) == set(months)
    assert calendar.groupby("resource").size().eq(18).all()
    assert calendar["working_days"].between(15, 23).all()
    assert (calendar["maintenance_hours"] == 0).any()
    hours = calendar["resource"].map(resources.set_index("resource")["hours_per_day"])
    shutdown = calendar["maintenance_hours"] >= 2 * hours
    assert shutdown.any()  # planned shutdowns of two days or more
    assert (calendar["maintenance_hours"] < hours * calendar["working_days"]).all()


def test_bill_of_materials_and_suppliers(demo: dict[str, pd.DataFrame]) -> None:
    lines = demo["BOM"].groupby("sku").size()
    assert set(lines.index) == set(demo["Products"]["sku"])
    assert lines.between(2, 4).all()
    assert set(demo["BOM"]["material"]) == set(demo["Materials"]["material"])
    suppliers = demo["Suppliers"]
    assert suppliers["lead_time_days"].between(10, 60).all()
    assert (suppliers["lead_time_sd_days"] > 0).all()
    assert suppliers["lead_time_sd_days"].nunique() > 1
    assert (suppliers["daily_limit"] > 0).all() and (suppliers["moq"] > 0).all()
    assert set(demo["Materials"]["supplier"]) == set(suppliers["supplier"])


def test_inventory_and_open_orders(demo: dict[str, pd.DataFrame]) -> None:
    stock = demo["ProductInventory"]
    assert set(stock["sku"]) == set(demo["Products"]["sku"])
    assert set(stock["site"]) <= set(demo["Resources"]["site"])
    assert set(demo["MaterialInventory"]["material"]) == set(demo["Materials"]["material"])
    orders = demo["OpenOrders"]
    assert orders["order_id"].is_unique
    purchase = orders[orders["order_type"] == "purchase"]
    production = orders[orders["order_type"] == "production"]
    assert len(purchase) >= 3 and len(production) >= 2
    assert purchase["item"].isin(demo["Materials"]["material"]).all()
    assert production["item"].isin(demo["Products"]["sku"]).all()
    assert purchase["due_month"].isin([FIRST, FIRST + pd.DateOffset(months=1)]).all()
    assert (production["due_month"] == FIRST).all()
    assert (orders["quantity"] > 0).all()


def test_prices_give_realistic_margins(demo: dict[str, pd.DataFrame]) -> None:
    bom = demo["BOM"].merge(demo["Materials"][["material", "unit_cost"]], on="material")
    material = (bom["quantity_per_unit"] * bom["unit_cost"]).groupby(bom["sku"]).sum()
    routings = demo["Routings"]
    primary = routings[routings["priority"] == 1].set_index("sku")
    cost = (material + primary["cost_per_unit"]) / primary["yield"]
    price = demo["Prices"].set_index("sku")["unit_price"]
    margin = 1 - cost / price
    assert margin.between(0.03, 0.47).all()
    assert margin.between(0.25, 0.45).mean() > 0.8
    assert (margin < 0.2).any()  # a few low-margin products
    budget = demo["Budget"]
    assert len(budget) == budget["family"].nunique() * 18
    assert (budget["revenue_budget"] > 0).all()
    share = budget["gross_margin_budget"].sum() / budget["revenue_budget"].sum()
    assert 0.2 < share < 0.45


def test_capacity_is_tight_but_not_absurd(demo: dict[str, pd.DataFrame]) -> None:
    """Primary-routing load at last year's average demand over available hours."""
    history = demo["SalesHistory"]
    recent = history[history["month"] >= FIRST - pd.DateOffset(months=12)]
    monthly = recent.groupby("sku")["quantity"].sum() / 12
    routings = demo["Routings"]
    primary = routings[routings["priority"] == 1].set_index("sku")
    load = (monthly.reindex(primary.index, fill_value=0) / primary["yield"]) * primary[
        "hours_per_unit"
    ]
    resources = demo["Resources"].set_index("resource")
    calendar = demo["ResourceCalendar"]
    per_resource = resources.loc[calendar["resource"]]
    available = (
        per_resource["hours_per_day"].to_numpy() * calendar["working_days"]
        - calendar["maintenance_hours"]
    ) * per_resource["efficiency"].to_numpy()
    ratio = load.sum() / (available.sum() / 18)
    assert 0.6 < ratio < 1.1


# --- sizes and arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skus", "history_months", "horizon_months", "first"),
    [(2000, 36, 18, "2027-01"), (10, 12, 1, "2026-07"), (25, 48, 60, "2030-12")],
)
def test_other_sizes_pass_the_contract_validation(
    skus: int, history_months: int, horizon_months: int, first: str
) -> None:
    demo = generate_demo(
        seed=1,
        skus=skus,
        first_plan_month=first,
        history_months=history_months,
        horizon_months=horizon_months,
    )
    problems = [p for t in EDITABLE for p in check_table(demo[t.name], t)]
    problems += check_references(demo, CONTRACT)
    assert problems == []
    assert len(demo["Products"]) == skus
    start = pd.Timestamp(first)
    assert demo["SalesHistory"]["month"].max() == start - pd.DateOffset(months=1)
    assert demo["SalesHistory"].groupby("sku").size().max() == history_months
    assert demo["ResourceCalendar"]["month"].nunique() == horizon_months
    assert len(_skus(demo, "launch")) == len(_skus(demo, "phase-out")) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"skus": 5},
        {"history_months": 6},
        {"horizon_months": 0},
        {"horizon_months": 61},
        {"first_plan_month": "next spring"},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        generate_demo(**kwargs)  # type: ignore[arg-type]


def test_batched_routings_have_changeovers(demo: dict[str, pd.DataFrame]) -> None:
    routes = demo["Routings"]
    batched = (routes["min_lot"] > 0) | (routes["lot_multiple"] > 0)
    assert batched.any()
    # Every routing with a lot rule has a changeover of 2-8 h and a cost; no other has one.
    assert routes.loc[batched, "setup_hours"].between(2.0, 8.0).all()
    assert (routes.loc[batched, "setup_cost"] > 0).all()
    assert (routes.loc[~batched, ["setup_hours", "setup_cost"]] == 0).all().all()


def test_the_demo_plan_pulls_each_network_lever() -> None:
    # The demo's Sourcing gives its largest-spend material a cheaper, slower second source, its
    # bottleneck a shift option and its shortest material a substitute, and its regions are
    # served from two sites joined by lanes; planned against last
    # year's sales by month (the LP relaxation, to stay fast), the plan buys from both sources,
    # adds shift hours and uses the substitute while the primary is short.
    inputs, wanted = demo_inputs(40)
    frames = inputs.tables
    result = solve_plan(prepare_planning_data(inputs, wanted), SolverOptions(relax_lots=True))
    sourcing = frames["Sourcing"]
    assert len(sourcing) == 2 and sourcing["material"].nunique() == 1
    bought = result.purchases[result.purchases["material"] == sourcing["material"].iloc[0]]
    assert set(bought["supplier"]) == set(sourcing["supplier"])
    shift = frames["ShiftOptions"]["resource"].iloc[0]
    added = result.capacity.loc[result.capacity["resource"] == shift, "shifts_added"]
    assert added.sum() > 0.5
    used = result.substitutions
    assert len(frames["BOMAlternates"]) == 1 and used["units"].sum() > 0
    assert set(used["reason"]) == {"primary short"}
    # Two sites, each serving a region, and a lane each way: what one site makes for the other
    # site's region travels, so the plan transfers.
    assert frames["Regions"]["site"].nunique() == 2 and len(frames["Lanes"]) == 2
    moved = result.transfers
    assert len(moved) > 0 and moved["quantity"].min() > 0
    assert set(moved["lane"]) <= set(frames["Lanes"]["lane"])
