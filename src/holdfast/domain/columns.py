"""The canonical import tables (docs/data-model.md) and how a file's headers map onto them.

Each kind of import has a :class:`TableSpec`: its canonical columns with their value type,
CLI flag and the header names recognised without a flag. :func:`resolve_mapping` picks the
file column for every canonical column: an explicit flag first, then the canonical name, then
the synonyms in order of preference. Header names are compared after :func:`normalize_name`
("Customer ID", "customer_id" and "CustomerID" are the same).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from holdfast.errors import UserError


class ValueType(StrEnum):
    """How the text of a column is checked and converted."""

    ID = "id"  # non-empty text, at most 255 characters
    TEXT = "text"
    EMAIL = "email"
    COUNTRY = "country"  # ISO 3166 alpha-2
    CURRENCY = "currency"  # ISO 4217
    TIMESTAMP = "timestamp"
    DATE = "date"
    MONEY = "money"
    INTEGER = "integer"
    STATUS = "status"  # an order status or one of its synonyms


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its type, whether a row needs it, its flag and its synonyms."""

    name: str
    type: ValueType
    flag: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | None = None  # integers: smallest allowed value
    maximum: int | None = None
    signed: bool = False  # money: negative values mean something (refunds) instead of an error


@dataclass(frozen=True)
class GeneratedKey:
    """A key column made up when the file has none: an ordinal within ``group_by``.

    ``label=True`` builds a text id ``"{customer}@{timestamp}#{n}"`` (orders, subscriptions,
    survey answers); ``label=False`` gives the bare ordinal (order line numbers).
    """

    column: str
    group_by: tuple[str, ...]
    label: bool


@dataclass(frozen=True)
class TableSpec:
    """A kind of import: canonical columns, the natural key and the store table it fills."""

    kind: str
    table: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    generated: GeneratedKey | None = None
    main_time: str | None = None

    def column(self, name: str) -> ColumnSpec:
        """The spec of a canonical column (KeyError if the kind has none of that name)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names in order."""
        return tuple(c.name for c in self.columns)


def normalize_name(name: str) -> str:
    """A header reduced to lower-case letters and digits: "Customer ID" → "customerid"."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


_CUSTOMER = ColumnSpec(
    "customer_id",
    ValueType.ID,
    "customer",
    required=True,
    synonyms=(
        "customerid",
        "customer",
        "customerno",
        "customernumber",
        "custid",
        "clientid",
        "client",
        "clientno",
        "userid",
        "memberid",
        "accountid",
        "buyerid",
    ),
    max_length=255,
)
_TIME_SYNONYMS = ("date", "createdat", "created", "timestamp", "datetime", "time")

CUSTOMERS = TableSpec(
    kind="customers",
    table="customers",
    key=("customer_id",),
    main_time="signed_up_at",
    columns=(
        ColumnSpec(
            "customer_id",
            ValueType.ID,
            "customer",
            required=True,
            synonyms=(*_CUSTOMER.synonyms, "id"),
            max_length=255,
        ),
        ColumnSpec(
            "email", ValueType.EMAIL, "email", synonyms=("emailaddress", "mail"), max_length=320
        ),
        ColumnSpec(
            "name",
            ValueType.TEXT,
            "name",
            synonyms=("fullname", "customername", "clientname"),
            max_length=255,
        ),
        ColumnSpec(
            "phone",
            ValueType.TEXT,
            "phone",
            synonyms=("phonenumber", "telephone", "mobile", "tel"),
            max_length=64,
        ),
        ColumnSpec(
            "country", ValueType.COUNTRY, "country", synonyms=("countrycode",), max_length=2
        ),
        ColumnSpec(
            "signed_up_at",
            ValueType.TIMESTAMP,
            "date",
            synonyms=(
                "signedup",
                "signupdate",
                "signupat",
                "registeredat",
                "registrationdate",
                "joinedat",
                "joined",
                *_TIME_SYNONYMS,
            ),
        ),
        ColumnSpec(
            "birthday", ValueType.DATE, "birthday", synonyms=("birthdate", "dateofbirth", "dob")
        ),
    ),
)

ORDERS = TableSpec(
    kind="orders",
    table="orders",
    key=("order_id",),
    main_time="ordered_at",
    generated=GeneratedKey("order_id", ("customer_id", "ordered_at"), label=True),
    columns=(
        ColumnSpec(
            "order_id",
            ValueType.ID,
            "order",
            required=True,
            synonyms=(
                "orderid",
                "order",
                "orderno",
                "ordernumber",
                "ordernum",
                "invoiceno",
                "invoice",
                "invoiceid",
                "invoicenumber",
                "transactionid",
                "transaction",
                "txnid",
                "receiptid",
                "receiptno",
                "id",
            ),
            max_length=255,
        ),
        _CUSTOMER,
        ColumnSpec(
            "ordered_at",
            ValueType.TIMESTAMP,
            "date",
            required=True,
            synonyms=(
                "orderedat",
                "orderdate",
                "invoicedate",
                "purchasedate",
                "purchasedat",
                "transactiondate",
                "orderdatetime",
                "placedat",
                *_TIME_SYNONYMS,
            ),
        ),
        ColumnSpec(
            "amount",
            ValueType.MONEY,
            "amount",
            required=True,
            signed=True,
            synonyms=(
                "total",
                "ordertotal",
                "totalamount",
                "grandtotal",
                "totalprice",
                "revenue",
                "dollarvalue",
                "sales",
                "value",
            ),
        ),
        ColumnSpec(
            "refunded",
            ValueType.MONEY,
            "refunded",
            synonyms=(
                "refundedamount",
                "amountrefunded",
                "totalrefunded",
                "refundamount",
                "refund",
            ),
        ),
        ColumnSpec(
            "status",
            ValueType.STATUS,
            "status",
            synonyms=("orderstatus", "state", "financialstatus"),
        ),
        ColumnSpec(
            "currency",
            ValueType.CURRENCY,
            "currency-column",
            synonyms=("currencycode",),
            max_length=3,
        ),
    ),
)

ORDER_LINES = TableSpec(
    kind="order-lines",
    table="order_lines",
    key=("order_id", "line_no"),
    generated=GeneratedKey("line_no", ("order_id",), label=False),
    columns=(
        ColumnSpec(
            "order_id",
            ValueType.ID,
            "order",
            required=True,
            synonyms=ORDERS.column("order_id").synonyms[:-1],
            max_length=255,
        ),
        ColumnSpec(
            "line_no",
            ValueType.INTEGER,
            "line",
            required=True,
            synonyms=("lineno", "linenumber", "line", "position", "lineitem"),
            minimum=1,
            maximum=2**31 - 1,
        ),
        ColumnSpec(
            "product_id",
            ValueType.ID,
            "product",
            required=True,
            synonyms=("productid", "product", "sku", "stockcode", "itemid", "articleid", "item"),
            max_length=255,
        ),
        ColumnSpec(
            "product_name",
            ValueType.TEXT,
            "product-name",
            synonyms=("productname", "description", "title", "itemname"),
            max_length=255,
        ),
        ColumnSpec(
            "category",
            ValueType.TEXT,
            "category",
            synonyms=("productcategory", "categoryname"),
            max_length=255,
        ),
        ColumnSpec(
            "quantity",
            ValueType.INTEGER,
            "quantity",
            synonyms=("qty", "units", "count", "numberofitems"),
            minimum=1,
            maximum=2**31 - 1,
        ),
        ColumnSpec(
            "unit_price",
            ValueType.MONEY,
            "unit-price",
            synonyms=("unitprice", "price", "itemprice"),
        ),
        ColumnSpec(
            "amount",
            ValueType.MONEY,
            "amount",
            synonyms=("linetotal", "lineamount", "total", "subtotal", "value"),
        ),
    ),
)

SUBSCRIPTIONS = TableSpec(
    kind="subscriptions",
    table="subscriptions",
    key=("subscription_id",),
    main_time="started_at",
    generated=GeneratedKey("subscription_id", ("customer_id", "started_at"), label=True),
    columns=(
        ColumnSpec(
            "subscription_id",
            ValueType.ID,
            "subscription",
            required=True,
            synonyms=("subscriptionid", "subscription", "contractid", "contract", "id"),
            max_length=255,
        ),
        _CUSTOMER,
        ColumnSpec(
            "plan", ValueType.TEXT, "plan", synonyms=("planname", "tier", "product"), max_length=255
        ),
        ColumnSpec(
            "started_at",
            ValueType.TIMESTAMP,
            "date",
            required=True,
            synonyms=("startedat", "startdate", "started", "start", "begin", *_TIME_SYNONYMS),
        ),
        ColumnSpec(
            "ended_at",
            ValueType.TIMESTAMP,
            "ended",
            synonyms=(
                "endedat",
                "enddate",
                "ended",
                "end",
                "cancelledat",
                "canceledat",
                "churnedat",
            ),
        ),
        ColumnSpec(
            "monthly_amount",
            ValueType.MONEY,
            "amount",
            synonyms=("monthlyprice", "mrr", "amount", "price"),
        ),
    ),
)

SURVEYS = TableSpec(
    kind="surveys",
    table="survey_responses",
    key=("response_id",),
    main_time="responded_at",
    generated=GeneratedKey("response_id", ("customer_id", "responded_at"), label=True),
    columns=(
        ColumnSpec(
            "response_id",
            ValueType.ID,
            "response",
            required=True,
            synonyms=("responseid", "response", "answerid", "submissionid", "id"),
            max_length=255,
        ),
        ColumnSpec(
            "customer_id", ValueType.ID, "customer", synonyms=_CUSTOMER.synonyms, max_length=255
        ),
        ColumnSpec(
            "responded_at",
            ValueType.TIMESTAMP,
            "date",
            required=True,
            synonyms=("respondedat", "submittedat", "answeredat", *_TIME_SYNONYMS),
        ),
        ColumnSpec(
            "survey", ValueType.TEXT, "survey", synonyms=("surveyname", "surveyid"), max_length=64
        ),
        ColumnSpec(
            "score",
            ValueType.INTEGER,
            "score",
            required=True,
            synonyms=("npsscore", "nps", "rating"),
            minimum=0,
            maximum=10,
        ),
        ColumnSpec("comment", ValueType.TEXT, "comment", synonyms=("comments", "feedback", "text")),
    ),
)

SPECS: dict[str, TableSpec] = {
    spec.kind: spec for spec in (CUSTOMERS, ORDERS, ORDER_LINES, SUBSCRIPTIONS, SURVEYS)
}
_KIND_ALIASES = {
    "customer": "customers",
    "order": "orders",
    "orderlines": "order-lines",
    "orderline": "order-lines",
    "lines": "order-lines",
    "subscription": "subscriptions",
    "survey": "surveys",
    "surveyresponses": "surveys",
    "responses": "surveys",
}


def spec_for(kind: str) -> TableSpec:
    """The spec of an import kind; accepts the file names of ``holdfast simulate`` too."""
    key = normalize_name(kind)
    for name, spec in SPECS.items():
        if normalize_name(name) == key:
            return spec
    if key in _KIND_ALIASES:
        return SPECS[_KIND_ALIASES[key]]
    raise UserError(f"unknown kind {kind!r}: use one of {', '.join(SPECS)}")


#: Order status words of common shop exports → the store's three statuses.
STATUS_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        ("completed", "complete", "paid", "shipped", "delivered", "fulfilled", "closed", "success"),
        "completed",
    ),
    **dict.fromkeys(("partiallyrefunded", "partialrefund", "partlyrefunded"), "completed"),
    **dict.fromkeys(
        ("cancelled", "canceled", "cancel", "void", "voided", "failed", "declined"), "cancelled"
    ),
    **dict.fromkeys(("refunded", "fullyrefunded", "returned", "chargeback"), "refunded"),
}


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column feeds each canonical column, and which file columns are unused."""

    spec: TableSpec
    source: dict[str, str]  # canonical name -> file column
    unused: tuple[str, ...] = ()
    explicit: frozenset[str] = field(default_factory=frozenset)

    @property
    def generated(self) -> GeneratedKey | None:
        """The key column the import makes up because the file has none, if any."""
        gen = self.spec.generated
        return gen if gen is not None and gen.column not in self.source else None

    def describe(self) -> str:
        """One line: ``InvoiceNo → order_id, date → ordered_at``."""
        return ", ".join(f"{src} → {canon}" for canon, src in self.source.items())


def flag_columns(spec: TableSpec) -> dict[str, str]:
    """Flag name (without dashes) → canonical column, for one kind."""
    return {col.flag: col.name for col in spec.columns}


def resolve_mapping(
    spec: TableSpec, headers: Sequence[str], explicit: Mapping[str, str] | None = None
) -> ColumnMapping:
    """Map the file's headers onto ``spec``: explicit flags, then names, then synonyms.

    ``explicit`` maps flag names (``"customer"``, ``"date"``) to file column names. Raises a
    UserError naming the flag to use when a required column cannot be found, when a flag names
    a column the file does not have, or when a flag does not apply to this kind.
    """
    explicit = dict(explicit or {})
    flags = flag_columns(spec)
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalize_name(header), header)
    source: dict[str, str] = {}
    used: set[str] = set()
    for flag, column in explicit.items():
        if flag not in flags:
            usable = ", ".join(f"--{f}" for f in flags)
            raise UserError(f"--{flag} does not apply to {spec.kind} (use {usable})")
        found = column if column in headers else by_norm.get(normalize_name(column))
        if found is None:
            raise UserError(
                f"--{flag} {column!r}: the file has no such column (columns: {', '.join(headers)})"
            )
        source[flags[flag]] = found
        used.add(found)
    for col in spec.columns:
        if col.name in source:
            continue
        for candidate in (normalize_name(col.name), *col.synonyms):
            header = by_norm.get(candidate)
            if header is not None and header not in used:
                source[col.name] = header
                used.add(header)
                break
    unused = tuple(h for h in headers if h not in used)
    _require(spec, source, unused)
    ordered = {c.name: source[c.name] for c in spec.columns if c.name in source}
    return ColumnMapping(spec, ordered, unused, frozenset(flags[f] for f in explicit))


def _require(spec: TableSpec, source: dict[str, str], unused: tuple[str, ...]) -> None:
    missing = [
        col
        for col in spec.columns
        if col.required
        and col.name not in source
        and not (spec.generated is not None and spec.generated.column == col.name)
    ]
    if spec.kind == "order-lines" and "amount" not in source and "unit_price" not in source:
        missing.append(spec.column("amount"))
    if not missing:
        return
    hints = "; ".join(f"{c.name!r} (give it with --{c.flag} COLUMN)" for c in missing)
    others = f"; columns not mapped: {', '.join(unused)}" if unused else ""
    raise UserError(f"required column not found: {hints}{others}")
