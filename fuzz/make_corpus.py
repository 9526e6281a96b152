#!/usr/bin/python3
"""Writes the seed corpus of each fuzz target into OUT/<target>/ from the shipped files:
models (schemas/distil), revisions (migrations/versions), distil.conf, the golden cases
(tests/golden), the SQL found in all of them (the golden cases' CREATE TABLE statements for
sqlite_ddl), and the hand-written seeds of fuzz/seeds/.
Usage: make_corpus.py SOURCE_DIR OUT_DIR"""
import hashlib
import pathlib
import re
import sys

import yaml

src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
counts = {}


def add(target, text):
    if isinstance(text, str):
        text = text.encode()
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(text).hexdigest()).write_bytes(text)
    counts[target] = counts.get(target, 0) + 1


def sections(path):
    """The `-- name --` sections of a golden case file (tests/support/case_file.hpp)."""
    name, body = None, []
    for line in path.read_text().splitlines(keepends=True):
        m = re.fullmatch(r"-- (.+) --\n?", line)
        if m:
            if name:
                yield name, "".join(body)
            name, body = m.group(1), []
        elif name:
            body.append(line)
    if name:
        yield name, "".join(body)


SQL_KEYS = {"default", "expression", "where", "type", "sql", "sqlite", "postgresql"}


def sql_strings(node):
    """Every string under a key that holds SQL, anywhere in a YAML document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in SQL_KEYS and isinstance(v, str):
                yield v
            else:
                yield from sql_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from sql_strings(v)


def add_sql_from_yaml(text):
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    for s in sql_strings(doc):
        add("sql_expr", s)


def as_revision(ops_text, down=None):
    return ("revision: 0123456789ab\ndown_revision: %s\nmessage: seed\n"
            "create_date: 2026-11-26T00:00:00Z\nupgrade:\n" % (down or "null")
            + "".join("  " + l + "\n" for l in ops_text.splitlines()) + "downgrade: []\n")


for f in sorted((src / "schemas" / "distil").glob("*.yaml")):
    add("model_yaml", f.read_text())
    add_sql_from_yaml(f.read_text())
for f in sorted((src / "migrations" / "versions").glob("*.yaml")):
    add("revision", f.read_text())
    add_sql_from_yaml(f.read_text())
add("config", (src / "distil.conf").read_text())
for case in sorted((src / "tests" / "golden").rglob("*.case")):
    for name, body in sections(case):
        if name in ("actual.yaml", "desired.yaml"):
            add("model_yaml", body)
        elif name == "revision.yaml":
            add("revision", body)
        elif name in ("ops.yaml", "setup.yaml"):
            add("revision", as_revision(body))
        elif name == "postgresql.sql":
            add("sql_expr", body)
        elif name == "sqlite.sql":
            # each CREATE TABLE our SQLite emitter wrote (sqlite_ddl runs one statement)
            for statement in re.findall(r"CREATE TABLE .*?\n\);", body, re.S):
                add("sqlite_ddl", statement)
        if name.endswith(".yaml"):
            add_sql_from_yaml(body)
for d in sorted((src / "fuzz" / "seeds").iterdir()):
    for f in sorted(d.iterdir()):
        add(d.name, f.read_bytes())
print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
