"""Fake but plausible customer details: names, e-mail addresses, phones, countries, birthdays.

Addresses use the reserved example.com/.net/.org domains (RFC 2606) and phone numbers the
ranges kept for fiction (+1 555-01xx, +44 7700 900xxx), so nothing a campaign test sends can
reach a real person. The customer number makes every e-mail address unique.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FIRST_NAMES = (
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Karin",
    "Liam", "Mia", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Will", "Xenia", "Yusuf", "Zoe", "Lena", "Jonas", "Sofia", "Lucas", "Elena", "Marco",
    "Julia", "Oscar", "Nora", "Leo", "Ines", "Tom", "Amira", "Erik", "Hannah", "Mateo",
    "Freya", "Kenji", "Priya", "Diego", "Alice", "Henrik", "Chiara", "Arjun",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Miller", "Brown", "Garcia", "Martin", "Bernard", "Dubois", "Schmidt",
    "Schneider", "Fischer", "Weber", "Rossi", "Russo", "Bianchi", "Jansen", "De Vries",
    "Bakker", "Andersson", "Johansson", "Lindqvist", "Lopez", "Martinez", "Sanchez", "Taylor",
    "Wilson", "Evans", "Walker", "Clarke", "Wright", "Nguyen", "Kim", "Singh", "Patel", "Khan",
    "Novak", "Kowalski", "Nielsen", "Hansen", "Moreau", "Laurent", "Costa", "Silva", "Murphy",
    "Kelly", "Campbell", "Stewart", "Young", "King", "Hall",
)  # fmt: skip
#: ISO 3166 alpha-2 codes and their shares of customers.
COUNTRIES = (
    ("US", 0.30), ("GB", 0.15), ("DE", 0.15), ("FR", 0.10), ("CA", 0.08), ("NL", 0.07),
    ("AU", 0.05), ("SE", 0.04), ("ES", 0.03), ("IT", 0.03),
)  # fmt: skip
DOMAINS = ("example.com", "example.net", "example.org")
PHONE_SHARE = 0.6
BIRTHDAY_SHARE = 0.85
AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 40.0, 13.0, 18.0, 85.0


def _local_part(names: tuple[str, ...]) -> pa.Array:
    return pa.array([n.lower().replace(" ", "") for n in names])


def customer_details(
    rng: np.random.Generator, number: np.ndarray, start_days: int
) -> dict[str, pa.Array]:
    """Name, e-mail, phone, country and birthday for customers with 1-based ``number``.

    ``start_days`` is the period start in days since 1970-01-01; ages are taken at that date.
    """
    n = len(number)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    domain = rng.integers(0, len(DOMAINS), n)
    codes = [c for c, _ in COUNTRIES]
    shares = np.array([s for _, s in COUNTRIES])
    country = np.searchsorted(np.cumsum(shares) / shares.sum(), rng.random(n), side="right")
    country = np.minimum(country, len(codes) - 1)
    has_phone = rng.random(n) < PHONE_SHARE
    phone_digits = rng.integers(0, 1000, n)
    has_birthday = rng.random(n) < BIRTHDAY_SHARE
    age_days = np.clip(rng.normal(AGE_MEAN, AGE_SD, n), AGE_MIN, AGE_MAX) * 365.25
    birthday = (start_days - age_days).astype(np.int32)

    first_a, last_a = pa.array(FIRST_NAMES), pa.array(LAST_NAMES)
    name = pc.binary_join_element_wise(first_a.take(first), last_a.take(last), " ")
    email = pc.binary_join_element_wise(
        _local_part(FIRST_NAMES).take(first),
        ".",
        _local_part(LAST_NAMES).take(last),
        pc.cast(pa.array(number), pa.string()),
        "@",
        pa.array(DOMAINS).take(domain),
        "",
    )
    country_a = pa.array(codes).take(country)
    phone = _phones(country_a, phone_digits, has_phone)
    birthdays = pa.array(birthday, type=pa.date32(), mask=~has_birthday)
    return {
        "email": email,
        "name": name,
        "phone": phone,
        "country": country_a,
        "birthday": birthdays,
    }


def _phones(country: pa.Array, digits: np.ndarray, present: np.ndarray) -> pa.Array:
    """Fictional numbers: +1 555-01NN in US/CA, +44 7700 900NNN in GB, none elsewhere."""
    three = pc.utf8_lpad(pc.cast(pa.array(digits), pa.string()), 3, "0")
    two = pc.utf8_slice_codeunits(three, 1)
    us = pc.binary_join_element_wise("+1 555-01", two, "")
    gb = pc.binary_join_element_wise("+44 7700 900", three, "")
    is_na = pc.is_in(country, pa.array(["US", "CA"]))
    is_gb = pc.equal(country, "GB")
    phone = pc.if_else(is_na, us, pc.if_else(is_gb, gb, pa.scalar(None, pa.string())))
    return pc.if_else(pa.array(present), phone, pa.scalar(None, pa.string()))
