"""``[sales.products_by_role]``: a role sells only its products (the essay: wealth managers sell
wealth products only), on the same random numbers as without the restriction."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.codes import ROLES
from tests.conftest import SCENARIOS

WEALTH_PRODUCTS = ["funds", "insurance", "wealth_product"]


def _sales(sc: sim.Scenario, seed: int) -> set[tuple[int, int, str, str]]:
    log = sim.simulate(sc, seed=seed)
    s = sim.credit_sales(log)
    names = list(sc.products)
    return {(int(c), int(v), ROLES[log.staff.roles[k]], names[p])
            for c, v, k, p in zip(s.customer, s.visit, s.staff, s.product, strict=True)}


def test_wealth_managers_sell_wealth_products_only_and_nothing_else_changes() -> None:
    base = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    only = sim.with_overrides(base, {"sales.products_by_role": {"wealth_manager": WEALTH_PRODUCTS}})
    removed_any = False
    for seed in range(6):
        free, kept = _sales(base, seed), _sales(only, seed)
        assert kept <= free  # the same uniforms: the restriction only takes sales away
        gone = free - kept
        assert all(role == "wealth_manager" and product not in WEALTH_PRODUCTS for _, _, role, product in gone)
        assert not [s for s in kept if s[2] == "wealth_manager" and s[3] not in WEALTH_PRODUCTS]
        removed_any |= bool(gone)
    assert removed_any  # over six days the unrestricted wealth managers did sell cards or e-banking


def test_an_empty_table_changes_nothing() -> None:
    base = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    same = sim.with_overrides(base, {"sales.products_by_role": {}})
    a, b = sim.day_kpis(sim.simulate(base, seed=3)), sim.day_kpis(sim.simulate(same, seed=3))
    np.testing.assert_array_equal(a.outlet, b.outlet)


@pytest.mark.parametrize(("table", "field", "message"), [
    ({"teller": ["funds"]}, "sales.products_by_role.teller", "unknown role"),
    ({"wealth_manager": ["gold"]}, "sales.products_by_role.wealth_manager", "products from"),
    ({"wealth_manager": "funds"}, "sales.products_by_role.wealth_manager", "products from"),
])
def test_bad_product_lists_name_the_field(table: dict[str, object], field: str, message: str) -> None:
    base = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    with pytest.raises(sim.ScenarioError, match=message) as err:
        sim.with_overrides(base, {"sales.products_by_role": table})
    assert f": {field}:" in str(err.value)
