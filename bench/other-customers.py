#!/usr/bin/env python3
"""Customer CSV made another way than `recflow generate`, for the bench.

A gain that holds only on our own generator's output is not a gain: this file has
other column order, field lengths and value shapes (ids of 1-36 characters in four
styles, non-ASCII names and cities, quoted cells with commas and doubled quotes,
needlessly quoted cells, a few newlines inside quotes, timestamps as signup dates,
numbers like `1e3` and ` 42.10 `, blank optional fields, an extra `notes` column),
about 0.3% duplicate ids and about 2% rows that break the customer contract
(docs/records.md) in one way each. Same --seed and --count: byte-identical output.

    python3 bench/other-customers.py --count 1000000 --seed 7 --out other.csv
"""
import argparse
import random
import sys

FIRST = ["Anna", "José", "Zoë", "Łukasz", "Søren", "Ngọc Anh", "Mohammed", "Chloé", "Björn", "Aoife",
         "Anne-Marie", "Jean-Luc", "Wei", "Priya", "Ólafur", "Małgorzata", "Dmitri", "Seo-yeon", "Kofi",
         "Maximilian Alexander", "Ali", "Ines", "Yusuf", "Ærin", "太郎", "Ελένη", "Иван", "Jo", "Bo"]
LAST = ["Müller", "García", "O'Brien", "de la Cruz", "Nowak", "Nguyễn", "Smith", "Van der Berg", "Çelik",
        "Kowalczyk-Wiśniewska", "Lee", "Østergaard", "Fernández de Córdoba y Aguilar", "Ng", "Ó Súilleabháin",
        "Papadopoulos", "Dubois", "Yamada", "Petrov", "Mensah", "Rossi", "Schmidt", "Li", "Alves"]
SUFFIX = ["Jr.", "Sr.", "III", "PhD"]
NICK = ["Bob", "Liz", "Mack", "Dee"]
DOMAINS = ["gmail.com", "example.org", "mail.example.co.uk", "posteo.de", "web.de", "uni-heidelberg.de",
           "company.io", "sub.dept.example.com", "t-online.de", "proton.me", "x.ai", "laposte.net"]
CITIES = ["São Paulo", "Zürich", "Kraków", "Washington, D.C.", "Saint-Étienne", "東京", "Reykjavík", "Köln",
          "New York", "Ciudad de México", "Kyiv", "Athens", "Lagos", "Łódź", "Frankfurt am Main",
          "St. John's", "Winston-Salem", "Llanfairpwllgwyngyll", "Bergen", "Porto"]
COUNTRIES = ["DE", "de", "FR", "fr", "US", "us", "GB", "PL", "BR", "JP", "CH", "IS", "MX", "UA", "GR",
             "NG", "NO", "PT", "Vn", "ca", "AU", "IN", "KR", "ZA", "IE"]
TIERS = ["Bronze", "SILVER", "gold", "Platinum", "bronze", "silver", " Gold "]
NOTES = ["", "", "", "", "", "VIP", "called, left message", 'said "call me later"', "prefers e-mail",
         "moved; new address pending", 'nickname "Ace", ok', "paid in full, thanks", "n/a"]
HEADER = ["email", "customer_id", "last_name", "first_name", "country", "city", "phone",
          "loyalty_tier", "lifetime_value", "signup_date", "notes"]
# One defect each; cycled so that every kind of error shows up.
DEFECTS = ["email_no_at", "email_two_at", "country", "date", "date_us", "negative", "thousands",
           "tier", "no_id", "id_space", "id_long", "name_long", "phone_short", "extra_cells", "no_email"]


def cell(v: str, r: random.Random) -> str:
    """CSV quoting: needed for , " and newlines; 3% of other non-empty cells quoted anyway."""
    if any(c in v for c in ',"\n\r') or (v and r.random() < 0.03):
        return '"' + v.replace('"', '""') + '"'
    return v


def customer_id(i: int, r: random.Random) -> str:
    style = r.randrange(4)
    if style == 0:
        return "cus_" + format(i * 2654435761 % (1 << 64), "x")[: r.randint(6, 16)] + format(i, "x")
    if style == 1:
        return str(i + 1)
    if style == 2:
        h = format((i * 0x9E3779B97F4A7C15) % (1 << 128), "032x")
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{i:012x}"
    return f"X-{i:07d}"


def ascii_local(name: str) -> str:
    out = "".join(c.lower() for c in name if c.isascii() and c.isalnum())
    return out or "user"


def person(r: random.Random):
    first = r.choice(FIRST)
    last = r.choice(LAST)
    roll = r.random()
    if roll < 0.02:
        last = f"{last}, {r.choice(SUFFIX)}"  # a comma: the cell gets quoted
    elif roll < 0.04:
        first = f'{first} "{r.choice(NICK)}"'  # doubled quotes inside a quoted cell
    elif roll < 0.06:
        first = f"  {first}   {r.choice(FIRST)} "  # spaces to trim and collapse
    return first, last


def email(first: str, last: str, i: int, r: random.Random) -> str:
    local = f"{ascii_local(first)}.{ascii_local(last)}"
    roll = r.random()
    if roll < 0.3:
        local += str(i % 997)
    elif roll < 0.4:
        local += "+news"
    addr = f"{local}@{r.choice(DOMAINS)}"
    return addr.upper() if r.random() < 0.05 else addr


def phone(r: random.Random) -> str:
    d = lambda n: "".join(str(r.randrange(10)) for _ in range(n))
    style = r.randrange(6)
    return ["", f"+49 30 {d(8)}", f"({d(3)}) {d(3)}-{d(4)}", f"+1.{d(3)}.{d(3)}.{d(4)}", f"0{d(10)}",
            f"+81-3-{d(4)}-{d(4)}"][style]


def signup(r: random.Random) -> str:
    roll = r.random()
    if roll < 0.15:
        return ""
    y, m, day = r.randint(1999, 2026), r.randint(1, 12), r.randint(1, 28)
    if roll < 0.85:
        return f"{y}-{m:02d}-{day:02d}"
    if roll < 0.95:
        return f"{y}-{m:02d}-{day:02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z"
    return f"{y}-{m:02d}-{day:02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}"


def value(r: random.Random) -> str:
    style = r.randrange(8)
    return ["", "0", str(r.randint(1, 99999)), f"{r.random() * 5000:.2f}", f"{r.random():.6f}",
            f"{r.randint(1, 9)}e{r.randint(1, 4)}", f"  {r.randint(1, 500)}.10 ", f"{r.randint(0, 9)}."][style]


def note(r: random.Random) -> str:
    if r.random() < 0.005:
        return "line one\nline two, after a newline"
    return r.choice(NOTES)


def row(i: int, r: random.Random, ids: list) -> dict:
    first, last = person(r)
    rec = {
        "email": email(first, last, i, r),
        "customer_id": ids[r.randrange(len(ids))] if ids and r.random() < 0.003 else customer_id(i, r),
        "last_name": last if r.random() > 0.03 else "",
        "first_name": first if r.random() > 0.05 else "",
        "country": r.choice(COUNTRIES) if r.random() > 0.1 else "",
        "city": r.choice(CITIES) if r.random() > 0.08 else "",
        "phone": phone(r),
        "loyalty_tier": r.choice(TIERS) if r.random() > 0.3 else "",
        "lifetime_value": value(r),
        "signup_date": signup(r),
        "notes": note(r),
    }
    if len(ids) < 5000:
        ids.append(rec["customer_id"])
    return rec


def break_row(rec: dict, defect: str) -> list:
    """One contract error (docs/records.md) in an otherwise valid row."""
    extra = []
    if defect == "email_no_at":
        rec["email"] = rec["email"].replace("@", " at ")
    elif defect == "email_two_at":
        rec["email"] = rec["email"].replace("@", "@@", 1)
    elif defect == "country":
        rec["country"] = "XX"
    elif defect == "date":
        rec["signup_date"] = "2023-02-29"
    elif defect == "date_us":
        rec["signup_date"] = "03/15/2023"
    elif defect == "negative":
        rec["lifetime_value"] = "-12.50"
    elif defect == "thousands":
        rec["lifetime_value"] = "1,234.50"
    elif defect == "tier":
        rec["loyalty_tier"] = "diamond"
    elif defect == "no_id":
        rec["customer_id"] = "  "
    elif defect == "id_space":
        rec["customer_id"] = "AB 12"
    elif defect == "id_long":
        rec["customer_id"] = "K" * 70
    elif defect == "name_long":
        rec["first_name"] = "Bartholomew-" * 9
    elif defect == "phone_short":
        rec["phone"] = "12-34"
    elif defect == "extra_cells":
        extra = ["surplus", "cells"]
    elif defect == "no_email":
        rec["email"] = ""
    return extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", default="7")
    ap.add_argument("--invalid-share", type=float, default=0.02)
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    r = random.Random(f"other-customers:{a.seed}")
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="")
    out.write(",".join(HEADER) + "\n")
    ids: list = []
    bad = 0
    buf = []
    for i in range(a.count):
        rec = row(i, r, ids)
        extra = []
        if r.random() < a.invalid_share:
            extra = break_row(rec, DEFECTS[bad % len(DEFECTS)])
            bad += 1
        buf.append(",".join([cell(rec[h], r) for h in HEADER] + extra) + "\n")
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    if out is not sys.stdout:
        out.close()
    print(f"other-customers: {a.count} rows ({bad} made invalid) to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
