"""Property tests: random sequences of earn, redeem, expire, order, refund, reverse and replay
against a small reference model of the ledger.

After every step the store's balance and every lot's unspent points equal the model's (so
expiry took exactly the oldest unspent points and each debit was first earned, first spent);
replays change nothing; at the end of each sequence the ledger's invariants hold in plain
SQL (balance = sum of entries >= 0, lots = points - allocations, nothing credited twice).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loyalty_helpers import add_customers, add_order, ledger_problems, update_order, use_program

from holdfast.domain.loyalty_expiry import expiry_of
from holdfast.domain.loyalty_program import ExpiryRules
from holdfast.domain.loyalty_refusals import AlreadyUsed, InsufficientPoints
from holdfast.services import loyalty

RULES = ExpiryRules(after_months=3)
PROGRAM = '[earn]\npoints_per_unit = "1"\n[expiry]\nafter_months = 3\n'
START = datetime(2026, 1, 1)
_ids = itertools.count()


@dataclass
class Lot:
    earned: datetime
    expires: datetime | None
    remaining: int


@dataclass
class Model:
    """The ledger of one customer as plain Python: lots by entry id, debits' allocations."""

    lots: dict[int, Lot] = field(default_factory=dict)
    taken: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    credits: dict[int, int] = field(default_factory=dict)  # credit entry -> points left to undo
    reversed_debits: set[int] = field(default_factory=set)
    orders: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # amount, entry, pts
    cancelled: set[str] = field(default_factory=set)
    given_back: dict[str, int] = field(default_factory=dict)  # order -> points taken back
    attempted: dict[str, set[int]] = field(default_factory=dict)  # order -> totals due tried

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots.values())

    def expire(self, at: datetime) -> int:
        gone = 0
        for lot in self.lots.values():
            if lot.expires is not None and lot.expires <= at and lot.remaining:
                gone += lot.remaining
                lot.remaining = 0
        return gone

    def spend(self, points: int, prefer: int | None = None) -> list[tuple[int, int]]:
        order = sorted(
            (i for i, lot in self.lots.items() if lot.remaining),
            key=lambda i: (i != prefer, self.lots[i].earned, i),
        )
        taken = []
        for ident in order:
            take = min(points, self.lots[ident].remaining)
            if take:
                self.lots[ident].remaining -= take
                taken.append((ident, take))
                points -= take
        assert points == 0
        return taken


ops = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 300), st.integers(0, 40)),
    st.tuples(st.just("redeem"), st.integers(1, 400), st.integers(0, 40)),
    st.tuples(st.just("expire"), st.just(0), st.integers(0, 60)),
    st.tuples(st.just("order"), st.integers(50, 40000), st.integers(0, 40)),
    st.tuples(st.just("refund"), st.integers(0, 100), st.integers(0, 20)),
    st.tuples(st.just("reverse"), st.integers(0, 1000), st.integers(0, 20)),
    st.tuples(st.just("replay"), st.integers(0, 1000), st.integers(0, 5)),
)


class Run:
    """One sequence against the store and the model, checking them against each other."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url)
        self.customer = f"p{next(_ids)}"
        add_customers(url, [self.customer])
        self.model = Model()
        self.now = START
        self.done: list[tuple] = []  # (call, args, first result) of successful writes
        self.entries: list[tuple[int, str]] = []  # (entry id, kind) of earns and redeems

    def key(self) -> str:
        return f"{self.customer}:{len(self.done)}:{next(_ids)}"

    def step(self, op: str, number: int, days: int) -> None:
        self.now += timedelta(days=days)
        getattr(self, f"do_{op}")(number)
        self.check()

    def record(self, call, args, result) -> None:  # type: ignore[no-untyped-def]
        self.done.append((call, args, result))

    def do_earn(self, points: int) -> None:
        args = (self.customer, points, self.key())
        result = loyalty.earn(self.url, *args, now=self.now)
        self.model.lots[result.entry_id] = Lot(self.now, expiry_of(self.now, RULES), points)
        self.model.credits[result.entry_id] = points
        self.entries.append((result.entry_id, "earn"))
        self.record(loyalty.earn, args, result)

    def do_redeem(self, points: int) -> None:
        args = (self.customer, points, self.key())
        before = {i: lot.remaining for i, lot in self.model.lots.items()}
        self.model.expire(self.now)
        if points > self.model.balance:
            with pytest.raises(InsufficientPoints):
                loyalty.redeem(self.url, *args, now=self.now)
            for i, remaining in before.items():  # the refusal rolled back the expiry too
                self.model.lots[i].remaining = remaining
            return
        result = loyalty.redeem(self.url, *args, now=self.now)
        self.model.taken[result.entry_id] = self.model.spend(points)
        assert result.balance == self.model.balance
        self.entries.append((result.entry_id, "redeem"))
        self.record(loyalty.redeem, args, result)

    def do_expire(self, _: int) -> None:
        loyalty.expire_points(self.url, as_of=self.now)
        self.model.expire(self.now)

    def do_order(self, amount: int) -> None:
        order = f"{self.customer}-o{len(self.model.orders)}"
        add_order(self.url, order, self.customer, amount, self.now)
        loyalty.earn_for_orders(self.url, now=self.now)
        points = amount // 100
        entry = 0
        if points:
            entry = self._last_entry("earn")
            self.model.lots[entry] = Lot(self.now, expiry_of(self.now, RULES), points)
        self.model.orders[order] = (amount, entry, points)

    def do_refund(self, percent: int) -> None:
        if not self.model.orders:
            return
        order = sorted(self.model.orders)[percent % len(self.model.orders)]
        amount, entry, points = self.model.orders[order]
        if percent % 10 == 0:
            self.model.cancelled.add(order)
            update_order(self.url, order, status="cancelled")
        else:
            update_order(self.url, order, refunded_minor=amount * percent // 100)
        loyalty.earn_for_orders(self.url, now=self.now)
        if not entry:
            return
        cancelled = order in self.model.cancelled
        due = points if cancelled else points * (amount * percent // 100) // amount
        left = due - self.model.given_back.get(order, 0)
        # each total due is taken once: what a zero balance left uncollected stays so
        if left <= 0 or due in self.model.attempted.setdefault(order, set()):
            return
        self.model.attempted[order].add(due)
        self.model.expire(self.now)
        take = min(left, self.model.balance)
        if take:
            self.model.spend(take, prefer=entry)
            self.model.given_back[order] = self.model.given_back.get(order, 0) + take

    def do_reverse(self, pick: int) -> None:
        if not self.entries:
            return
        entry, kind = self.entries[pick % len(self.entries)]
        key = self.key()
        if kind == "redeem":
            if entry in self.model.reversed_debits:
                with pytest.raises(AlreadyUsed):
                    loyalty.reverse(self.url, entry, key, now=self.now)
                return
            result = loyalty.reverse(self.url, entry, key, now=self.now)
            for lot, points in self.model.taken[entry]:
                self.model.lots[lot].remaining += points
            self.model.expire(self.now)
            self.model.reversed_debits.add(entry)
        else:
            left = self.model.credits[entry]
            if left <= 0:
                with pytest.raises(AlreadyUsed):
                    loyalty.reverse(self.url, entry, key, now=self.now)
                return
            result = loyalty.reverse(self.url, entry, key, now=self.now)
            self.model.expire(self.now)
            take = min(left, self.model.balance)
            if take:
                self.model.spend(take, prefer=entry)
            self.model.credits[entry] = left - take
            assert result.points == -take
        assert result.balance == self.model.balance
        self.record(loyalty.reverse, (entry, key), result)

    def do_replay(self, pick: int) -> None:
        if not self.done:
            return
        call, args, first = self.done[pick % len(self.done)]
        again = call(self.url, *args, now=self.now + timedelta(days=1000))
        assert again.replayed
        assert (again.entry_id, again.points, again.balance) == (
            first.entry_id,
            first.points,
            first.balance,
        )

    def _last_entry(self, kind: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT max(e.id) FROM loyalty_entries e JOIN customers c "
                    "ON c.id = e.customer_id WHERE c.external_id = :c AND e.kind = :k"
                ),
                {"c": self.customer, "k": kind},
            ).scalar_one()

    def check(self) -> None:
        with self.engine.connect() as conn:
            stored = conn.execute(
                sa.text(
                    "SELECT l.entry_id, l.remaining FROM loyalty_lots l JOIN customers c "
                    "ON c.id = l.customer_id WHERE c.external_id = :c"
                ),
                {"c": self.customer},
            ).all()
            balance = conn.execute(
                sa.text(
                    "SELECT a.balance, (SELECT COALESCE(SUM(points), 0) FROM loyalty_entries e "
                    "WHERE e.customer_id = a.customer_id) FROM loyalty_accounts a JOIN customers c "
                    "ON c.id = a.customer_id WHERE c.external_id = :c"
                ),
                {"c": self.customer},
            ).first()
        assert dict(stored) == {i: lot.remaining for i, lot in self.model.lots.items()}
        account, entries = balance if balance else (0, 0)
        assert account == entries == self.model.balance >= 0

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def program_store(store_url: str, tmp_path: Path) -> str:
    use_program(store_url, PROGRAM, tmp_path)
    return store_url


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(ops, min_size=1, max_size=18))
def test_random_sequences_keep_the_ledger_invariants(program_store: str, steps: list) -> None:
    run = Run(program_store)
    try:
        for op, number, days in steps:
            run.step(op, number, days)
        assert ledger_problems(program_store) == []
    finally:
        run.close()
