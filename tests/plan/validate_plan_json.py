#!/usr/bin/python3
"""Validates the golden JSON plans against schemas/plan.schema.json.

Usage: validate_plan_json.py SOURCE_DIR

- checks the schema against the JSON Schema 2020-12 meta-schema;
- validates the `-- plan.json --` section of every tests/plan/*/*.case file;
- checks that the schema rejects malformed plans (so it cannot accept everything);
- checks that docs/plan.md's example plan validates.

Prints one line per check and "N passed, M failed"; exits 1 on any failure.
Run with Debian's /usr/bin/python3 (python3-jsonschema >= 4.0).
"""

import copy
import json
import pathlib
import re
import sys

import jsonschema


def sections(text):
    out, name = {}, None
    for line in text.splitlines(keepends=True):
        m = re.fullmatch(r"-- (.+) --\n?", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name is not None:
            out[name] += line
    return out


def main(argv):
    if len(argv) != 2:
        print("usage: validate_plan_json.py SOURCE_DIR", file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    results = []

    def record(ok, label, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}")

    Draft = jsonschema.Draft202012Validator
    schema = json.loads((root / "schemas/plan.schema.json").read_text(encoding="utf-8"))
    try:
        Draft.check_schema(schema)
        record(True, "schemas/plan.schema.json (meta-schema)")
    except jsonschema.SchemaError as e:
        record(False, "schemas/plan.schema.json (meta-schema)", str(e).splitlines()[0])
        return 1
    v = Draft(schema)

    def errors_of(doc):
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in v.iter_errors(doc)]

    plans = []
    cases = sorted((root / "tests/plan").glob("*/*.case"))
    if not cases:
        record(False, "golden cases", "no tests/plan/*/*.case found")
    for path in cases:
        label = str(path.relative_to(root))
        text = sections(path.read_text(encoding="utf-8")).get("plan.json")
        if text is None:
            record(False, label, "no plan.json section")
            continue
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            record(False, label, f"not JSON: {e}")
            continue
        plans.append(doc)
        errors = errors_of(doc)
        record(not errors, label, "; ".join(errors)[:500])

    doc_md = (root / "docs/plan.md").read_text(encoding="utf-8")
    m = re.search(r"```json\n(.*?)```", doc_md, re.S)
    if not m:
        record(False, "docs/plan.md example", "no ```json block")
    else:
        try:
            errors = errors_of(json.loads(m.group(1)))
            record(not errors, "docs/plan.md example", "; ".join(errors)[:500])
        except json.JSONDecodeError as e:
            record(False, "docs/plan.md example", f"not JSON: {e}")

    # Malformed plans must be rejected. Start from a golden plan that has an op.
    base = next((p for p in plans if p["revisions"] and p["revisions"][0]["ops"]), None)
    if base is None:
        record(False, "a golden plan with ops to mutate")
    else:
        def mutate(f):
            doc = copy.deepcopy(base)
            f(doc)
            return doc
        op = lambda d: d["revisions"][0]["ops"][0]  # noqa: E731
        bad = [
            ("format_version 2", lambda d: d.update(format_version=2)),
            ("unknown top-level key", lambda d: d.update(extra=1)),
            ("missing summary", lambda d: d.pop("summary")),
            ("unknown dialect", lambda d: d.update(dialect="mysql")),
            ("unknown op kind", lambda d: op(d).update(kind="drop_tabel")),
            ("negative count", lambda d: op(d)["rows"].update(lost=-1)),
            ("rows missing failing", lambda d: op(d)["rows"].pop("failing")),
            ("destructive as string", lambda d: op(d).update(destructive="yes")),
            ("sql not a list", lambda d: op(d).update(sql="SELECT 1")),
        ]
        for label, f in bad:
            errors = errors_of(mutate(f))
            record(bool(errors), f"rejected: {label}", "" if errors else "the schema accepted it")

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
