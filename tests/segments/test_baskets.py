"""Basket rules and next-product recommendations on DuckDB, SQLite and PostgreSQL: a
hand-computed fixture, mlxtend's association_rules as oracle, recommendations by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from segment_helpers import lines_of, run

from holdfast.analytics.baskets import basket_rules, recommendations
from holdfast.errors import UserError

#: N = 5; n(A) = 4, n(B) = 4, n(C) = 2, n(D) = 2; AB 3, AC 2, BD 2, BC 1, AD 1 (B twice in o5)
BASKETS = {
    "o1": ["A", "B", "C"],
    "o2": ["A", "B"],
    "o3": ["A", "C"],
    "o4": ["B", "D"],
    "o5": ["A", "B", "D", "B"],
}
KEY = ["antecedent", "consequent"]


def rules_of(backend, baskets, **minimums):
    return run(basket_rules(lines_of(backend, baskets), **minimums), KEY)


def test_rules_by_hand(backend):
    got = rules_of(backend, BASKETS, min_support=0.3, min_confidence=0.0)
    assert list(zip(got.antecedent, got.consequent, strict=True)) == [
        ("A", "B"),
        ("A", "C"),
        ("B", "A"),
        ("B", "D"),
        ("C", "A"),
        ("D", "B"),
    ]
    ab = got.iloc[0]
    assert (ab.pair_orders, ab.antecedent_orders, ab.consequent_orders, ab.orders) == (3, 4, 4, 5)
    assert got.support.tolist() == pytest.approx([0.6, 0.4, 0.6, 0.4, 0.4, 0.4])
    assert got.confidence.tolist() == pytest.approx([0.75, 0.5, 0.75, 0.5, 1.0, 1.0])
    assert got.lift.tolist() == pytest.approx([0.9375, 1.25, 0.9375, 1.25, 1.25, 1.25])


def test_minimums(backend):
    got = rules_of(backend, BASKETS, min_support=0.3, min_confidence=0.6, min_lift=1.0)
    assert list(zip(got.antecedent, got.consequent, strict=True)) == [("C", "A"), ("D", "B")]
    with pytest.raises(UserError, match="minimum support"):
        basket_rules(lines_of(backend, BASKETS), min_support=1.5)


def test_no_pairs(backend):
    assert rules_of(backend, {"o1": ["A"], "o2": ["B"]}, min_support=0.0).empty


def random_baskets(seed: int, orders: int, products: int) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(products) * 0.7)
    names = [f"p{i:02d}" for i in range(products)]
    out = {}
    for o in range(orders):
        size = 1 + rng.poisson(1.6)
        first = rng.choice(products, p=weights)
        picks = {first, *rng.choice(products, size=size, p=weights)}
        if rng.random() < 0.5:
            picks.add((first + 1) % products)  # a complement
        out[f"o{o}"] = [names[i] for i in sorted(picks)]
    return out


def mlxtend_rules(baskets, min_support, min_confidence) -> pd.DataFrame:
    from mlxtend.frequent_patterns import apriori, association_rules
    from mlxtend.preprocessing import TransactionEncoder

    encoder = TransactionEncoder()
    onehot = encoder.fit(list(baskets.values())).transform(list(baskets.values()))
    frame = pd.DataFrame(onehot, columns=encoder.columns_)
    frequent = apriori(frame, min_support=min_support, use_colnames=True, max_len=2)
    rules = association_rules(
        frequent, len(frame), metric="confidence", min_threshold=min_confidence
    )
    rules = rules[(rules.antecedents.map(len) == 1) & (rules.consequents.map(len) == 1)]
    return (
        pd.DataFrame(
            {
                "antecedent": rules.antecedents.map(lambda s: next(iter(s))),
                "consequent": rules.consequents.map(lambda s: next(iter(s))),
                "support": rules.support,
                "confidence": rules.confidence,
                "lift": rules.lift,
            }
        )
        .sort_values(KEY)
        .reset_index(drop=True)
    )


@pytest.mark.parametrize(("min_support", "min_confidence"), [(0.02, 0.05), (0.05, 0.3)])
def test_rules_equal_mlxtend(backend, min_support, min_confidence):
    baskets = random_baskets(5, 400, 15)
    got = rules_of(backend, baskets, min_support=min_support, min_confidence=min_confidence)
    want = mlxtend_rules(baskets, min_support, min_confidence)
    assert len(want) > 10
    assert got[KEY].to_numpy().tolist() == want[KEY].to_numpy().tolist()
    for column in ("support", "confidence", "lift"):
        assert got[column].to_numpy() == pytest.approx(want[column].to_numpy(), rel=1e-12)


def customer_lines(backend):
    rows = [
        ("x", "x1", "2024-01-01", "A"),
        ("x", "x2", "2024-01-11", "A"),
        ("y", "y1", "2024-01-05", "C"),
        ("y", "y1", "2024-01-05", "B"),
        ("z", "z1", "2024-02-01", "A"),  # after as-of
    ]
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [r[1] for r in rows],
            "order_date": pa.array(pd.to_datetime([r[2] for r in rows]).date, pa.date32()),
            "product_id": [r[3] for r in rows],
        }
    )
    return backend.create_table("cl", table, overwrite=True)


def test_recommendations_by_hand(backend):
    rules = basket_rules(lines_of(backend, BASKETS), min_support=0.2, min_confidence=0.0)
    got = run(
        recommendations(customer_lines(backend), rules, as_of=dt.date(2024, 1, 25)),
        ["customer_id", "rank"],
    )
    # x: A every 10 days, silent 14 -> replenish (4 / 10 overdue), then A's complements
    # B (0.75), C (0.5). y has B and C: A (C -> A 1.0 beats B -> A 0.75), D (B -> D 0.5)
    assert got[["customer_id", "rank", "product_id", "reason"]].to_numpy().tolist() == [
        ["x", 1, "A", "replenish"],
        ["x", 2, "B", "complement"],
        ["x", 3, "C", "complement"],
        ["y", 1, "A", "complement"],
        ["y", 2, "D", "complement"],
    ]
    assert got.score.tolist() == pytest.approx([0.4, 0.75, 0.5, 1.0, 0.5])


def test_recommendations_not_due_and_top(backend):
    rules = basket_rules(lines_of(backend, BASKETS), min_support=0.2, min_confidence=0.0)
    got = run(
        recommendations(customer_lines(backend), rules, as_of=dt.date(2024, 1, 20), top=1),
        ["customer_id", "rank"],
    )
    # x's A is not due (silent 9 < 10): x already has A, so only B
    assert got[["customer_id", "product_id"]].to_numpy().tolist() == [["x", "B"], ["y", "A"]]
    with pytest.raises(UserError, match="at least 1"):
        recommendations(customer_lines(backend), rules, as_of=dt.date(2024, 1, 20), top=0)
