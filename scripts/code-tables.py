#!/usr/bin/env python3
"""Renders the code tables in docs/carriers.md from the TSV files the row tests read, so the
documentation and the tests cannot disagree. Run after editing a TSV:

    python3 scripts/code-tables.py

Each table sits between `<!-- table:NAME -->` and `<!-- /table -->` in docs/carriers.md."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "server" / "tests" / "fixtures"
TABLES = {
    # name: (file, header of the rendered table, the column holding the meaning (shown as text))
    "aftership": ("carriers/aftership_subtags.tsv", None, None),
    "easypost": ("carriers/easypost_codes.tsv",
                 ["status", "status_detail", "meaning", "type", "reason", "journey ends", "consignee acts"], 2),
    "shippo": ("carriers/shippo_codes.tsv",
               ["status", "substatus", "meaning", "type", "reason", "journey ends", "consignee acts"], 2),
    "x12-214": ("x12/214_codes.tsv",
                ["AT701", "AT702", "meaning", "type", "reason", "journey ends", "consignee acts"], 2),
    "x12-945": ("x12/945_w1201_codes.tsv",
                ["W1201", "meaning", "line status (2 ordered, 1 shipped)", "reason", "dispatch final"], 1),
    "x12-856": ("x12/856_codes.tsv", ["BSN01", "SN108", "meaning", "type", "line status (2 ordered, 1 shipped)"], 2),
}


def render(name):
    path, header, meaning = TABLES[name]
    rows = [l.split("\t") for l in (FIXTURES / path).read_text().splitlines()
            if l.strip() and not l.startswith("#")]
    if header is None:
        return None
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = [c if c != "-" else "" for c in r]
        # Codes in code type; the meaning as written.
        cells = [f"`{c}`" if c and i != meaning and c not in ("yes", "no") and " " not in c else c
                 for i, c in enumerate(cells)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    doc = ROOT / "docs" / "carriers.md"
    text = doc.read_text()
    for name in TABLES:
        table = render(name)
        if table is None:
            continue
        pattern = re.compile(rf"(<!-- table:{re.escape(name)} -->\n).*?(<!-- /table -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/carriers.md has no <!-- table:{name} --> block")
        text = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)
    doc.write_text(text)


if __name__ == "__main__":
    main()
