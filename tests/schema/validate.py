#!/usr/bin/python3
"""Validates the shipped YAML against schemas/model.schema.json and schemas/revision.schema.json.

Usage: validate.py SOURCE_DIR

- checks both schema files against the JSON Schema 2020-12 meta-schema;
- validates schemas/distil/*.yaml and tests/data/models/**/*.yaml (less SKIP) as models,
  and migrations/versions/*.yaml as revisions;
- checks inline documents: VALID ones must pass, INVALID ones must be rejected (so the
  schemas cannot silently accept everything);
- checks that the schemas' key sets match the key lists of the C++ parsers (kColumnKeys,
  kTableBodyKeys, kOps, the revision's top-level keys), so the two cannot drift apart.

Prints one line per check and "N passed, M failed"; exits 1 on any failure.

Run with Debian's /usr/bin/python3 (python3-yaml, python3-jsonschema >= 4.0).
"""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

# Model files that are meant to be rejected, with why. (tests/data/models/duplicate_table
# is a folder defining one table in two files: each file is valid on its own, and the
# duplication is a cross-file error only the loader sees, so both files are validated.)
SKIP = {}


class Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, close to how the C++ loader (yaml-cpp) reads scalars.

    Booleans are true/false only (yes/no/on/off stay strings, as yaml-cpp's Scalar() keeps
    them, and the schemas accept yes/no as strings where the C++ does); no timestamps
    (create_date stays text); a key written twice is an error, as in the C++ loader.
    """


Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+0123456789.")),
]:
    Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # 006 is 6 in YAML 1.2, not octal


def _mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


Loader.add_constructor("tag:yaml.org,2002:int", _int)
Loader.construct_mapping = _mapping


def load(text):
    return yaml.load(text, Loader=Loader)


# Inline documents: (label, document). VALID_* must pass, INVALID_* must be rejected. Each
# verdict agrees with the C++ parser (parse_models / parse_revision) on the same text.
VALID_MODELS = [
    ("empty file", ""),
    ("empty tables", "tables:\n"),
    ("scalar defaults and yes/no", """
tables:
  t:
    columns:
      - {name: n, type: integer, nullable: no, default: 0}
      - {name: b, type: boolean, nullable: yes, default: true, comment: null}
      - {name: k, type: varchar(3), primary_key: TRUE}
    indexes: [{columns: [n], unique: false, where: null}, {columns: [b], using: gin}]
    foreign_keys: [{columns: [n], references: {table: u, columns: [id]}, on_update: SET_NULL,
                    deferrable: true, initially_deferred: no}]
  u:
    columns: [{name: id, type: integer, primary_key: yes}]
"""),
    ("single-name table primary key", "tables: {t: {columns: [{name: a, type: text}], primary_key: a}}"),
]

INVALID_MODELS = [
    ("unknown column key", "tables: {t: {columns: [{name: a, type: text, nulable: false}]}}"),
    ("unquoted numeric(12,2) in flow style", "tables: {t: {columns: [{name: a, type: numeric(12,2)}]}}"),
    ("unknown table key", "tables: {t: {columns: [{name: a, type: text}], index: []}}"),
    ("missing tables", "table: {}"),
    ("column without type", "tables: {t: {columns: [{name: a}]}}"),
    ("empty columns", "tables: {t: {columns: []}}"),
    ("nullable null", "tables: {t: {columns: [{name: a, type: text, nullable: null}]}}"),
    ("nullable on", "tables: {t: {columns: [{name: a, type: text, nullable: on}]}}"),
    ("unknown on_delete", """
tables: {t: {columns: [{name: a, type: text}],
             foreign_keys: [{columns: [a], references: {table: u, columns: [id]}, on_delete: drop}]}}"""),
    ("nullable primary-key column",
     "tables: {t: {columns: [{name: a, type: text, primary_key: true, nullable: Yes}]}}"),
    ("index without columns", "tables: {t: {columns: [{name: a, type: text}], indexes: [{name: ix}]}}"),
    ("duplicate key", "tables: {t: {columns: [{name: a, type: text, type: int}]}}"),
]

VALID_REVISIONS = [
    ("lint ignore", "revision: abc\nlint: {ignore: [L003, \"L004:orders.legacy\"]}\nupgrade: []\n"),
    ("no-op with unquoted numeric id", "revision: 006\nupgrade: []\n"),
    ("null upgrade, merge, labels", """
revision: 3f9a1c2b7d4e
down_revision: [8b1e0c5d2a9f, "007"]
branch_labels: expand
depends_on: [1c2d3e4f5a6b]
message: merge
create_date: 2026-11-26T01:00:00Z
upgrade:
downgrade: null
"""),
    ("every op", """
revision: abc
down_revision: null
upgrade:
  - create_table:
      name: t
      comment: c
      renamed_from: old_t
      columns:
        - {name: id, type: integer, primary_key: true, autoincrement: true}
        - {name: total, type: "numeric(12,2)", default: 0, renamed_from: amount}
      unique: [{columns: [total]}]
      indexes: [{name: ix_t_total, columns: [total], unique: true, where: "total > 0"}]
      foreign_keys: [{columns: [id], references: {table: u, columns: [id]}, on_delete: cascade}]
      checks: [{expression: "total >= 0"}]
  - drop_table: {name: t}
  - rename_table: {from: a, to: b}
  - add_column: {table: t, column: {name: c, type: varchar(3), nullable: false, default: "'NZD'"}}
  - drop_column: {table: t, column: c}
  - alter_column: {table: t, column: c, type: text, existing: {type: varchar(3), nullable: false, default: null, comment: x}}
  - alter_column: {table: t, column: c, default: null}
  - alter_column: {table: t, column: c, rename_to: d}
  - create_index: {table: t, columns: [a, "lower(b)"], using: gist}
  - drop_index: {table: t, name: ix}
  - create_unique: {table: t, name: uq, columns: [a]}
  - create_foreign_key: {table: t, name: fk, columns: [a], references: {table: r, columns: [id]}, on_delete: set null, on_update: no action, initially_deferred: true}
  - create_check: {table: t, name: ck, expression: "a > 0"}
  - drop_constraint: {table: t, name: uq}
  - sql: "SELECT 1"
  - sql: {sqlite: "SELECT 1", postgresql: "SELECT 2"}
  - sql: {any: "SELECT 3"}
downgrade: []
"""),
]

INVALID_REVISIONS = [
    ("lint ignore not a rule id", "revision: abc\nlint: {ignore: [narrowing]}\nupgrade: []\n"),
    ("lint unknown key", "revision: abc\nlint: {ignored: [L003]}\nupgrade: []\n"),
    ("missing upgrade", "revision: abc\ndown_revision: null\n"),
    ("missing revision", "upgrade: []\n"),
    ("op with two keys", "revision: abc\nupgrade:\n  - drop_table: {name: t}\n    rename_table: {from: a, to: b}\n"),
    ("op fields not indented", "revision: abc\nupgrade:\n  - drop_table:\n    name: t\n"),
    ("unknown op", "revision: abc\nupgrade: [{drop_tabel: {name: t}}]\n"),
    ("unknown top-level key", "revision: abc\nupgrade: []\ndown_revisions: null\n"),
    ("revision id over 32 characters", f"revision: {'a' * 33}\nupgrade: []\n"),
    ("revision id with a space", "revision: 'a b'\nupgrade: []\n"),
    ("null revision id", "revision: null\nupgrade: []\n"),
    ("down_revision mapping", "revision: abc\ndown_revision: {a: b}\nupgrade: []\n"),
    ("down_revision listed twice", "revision: abc\ndown_revision: [a, a]\nupgrade: []\n"),
    ("upgrade not a list", "revision: abc\nupgrade: {drop_table: {name: t}}\n"),
    ("unknown column key in add_column",
     "revision: abc\nupgrade: [{add_column: {table: t, column: {name: c, type: text, nul: true}}}]\n"),
    ("add_column of a primary key",
     "revision: abc\nupgrade: [{add_column: {table: t, column: {name: c, type: text, primary_key: true}}}]\n"),
    ("drop_column with a column mapping",
     "revision: abc\nupgrade: [{drop_column: {table: t, column: {name: c}}}]\n"),
    ("alter_column changing nothing",
     "revision: abc\nupgrade: [{alter_column: {table: t, column: c, existing: {type: text}}}]\n"),
    ("alter_column existing rename_to",
     "revision: abc\nupgrade: [{alter_column: {table: t, column: c, type: text, existing: {rename_to: x}}}]\n"),
    ("create_table without name", "revision: abc\nupgrade: [{create_table: {columns: [{name: a, type: text}]}}]\n"),
    ("create_table unknown key",
     "revision: abc\nupgrade: [{create_table: {name: t, columns: [{name: a, type: text}], colums: []}}]\n"),
    ("create_check without name", "revision: abc\nupgrade: [{create_check: {table: t, expression: a}}]\n"),
    ("create_index unknown key", "revision: abc\nupgrade: [{create_index: {table: t, columns: [a], uniq: true}}]\n"),
    ("sql null", "revision: abc\nupgrade: [{sql: null}]\n"),
    ("sql empty mapping", "revision: abc\nupgrade: [{sql: {}}]\n"),
    ("sql unknown dialect", "revision: abc\nupgrade: [{sql: {mysql: SELECT 1}}]\n"),
]


def cpp_vocabulary(root):
    """The key lists of the C++ parsers: {"column": [...], "table": [...], "revision": [...],
    "op:<name>": [...]}; raises ValueError when a list cannot be found."""
    table_io = (root / "model/yaml/table_io.cpp").read_text(encoding="utf-8")
    revision_io = (root / "model/yaml/revision_io.cpp").read_text(encoding="utf-8")
    words = lambda text: re.findall(r'"([a-z_]+)"', text)  # noqa: E731
    out = {}
    for key, name in [("column", "kColumnKeys"), ("table", "kTableBodyKeys")]:
        m = re.search(name + r"\s*=\s*\{(.*?)\};", table_io, re.S)
        if not m:
            raise ValueError(f"{name} not found in model/yaml/table_io.cpp")
        out[key] = words(m.group(1))
    m = re.search(r"kOps\s*=\s*\{(.*?)\n\};", revision_io, re.S)
    if not m:
        raise ValueError("kOps not found in model/yaml/revision_io.cpp")
    for op, keys in re.findall(r'\{"([a-z_]+)",\s*\{(.*?)\}\}', m.group(1), re.S):
        out["op:" + op] = words(keys)
    m = re.search(r'Fields f\(reader, root, 1, Context\{\},\s*\{(.*?)\}\);', revision_io, re.S)
    if not m:
        raise ValueError("the revision's top-level keys not found in model/yaml/revision_io.cpp")
    out["revision"] = words(m.group(1))
    return out


def main(argv):
    if len(argv) != 2:
        print("usage: validate.py SOURCE_DIR", file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    schema_dir = root / "schemas"
    Draft = jsonschema.Draft202012Validator
    results = []  # (ok, line)

    def record(ok, label, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}")

    schemas = {}
    for name in ["model.schema.json", "revision.schema.json"]:
        path = schema_dir / name
        try:
            schemas[name] = json.loads(path.read_text(encoding="utf-8"))
            Draft.check_schema(schemas[name])
            record(True, f"schemas/{name} (meta-schema)")
        except Exception as e:  # noqa: BLE001 - any failure is a failed check
            record(False, f"schemas/{name} (meta-schema)", str(e).splitlines()[0])
    if len(schemas) != 2:
        print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
        return 1

    # revision.schema.json refers to model.schema.json#/$defs/... relative to its own place.
    store = {(schema_dir / n).as_uri(): s for n, s in schemas.items()}

    def validator(name):
        uri = (schema_dir / name).as_uri()
        resolver = jsonschema.RefResolver(base_uri=uri, referrer=schemas[name], store=store)
        return Draft(schemas[name], resolver=resolver, format_checker=Draft.FORMAT_CHECKER)

    model = validator("model.schema.json")
    revision = validator("revision.schema.json")

    def errors_of(v, text):
        try:
            doc = load(text)
        except yaml.YAMLError as e:
            return [f"YAML: {str(e).splitlines()[0]}"]
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in sorted(v.iter_errors(doc), key=lambda e: -len(e.absolute_path))]

    def check_file(v, path):
        label = str(path.relative_to(root))
        errors = errors_of(v, path.read_text(encoding="utf-8"))
        record(not errors, label, "; ".join(errors)[:500])

    model_files = sorted(set((root / "schemas/distil").glob("*.yaml")) |
                         set((root / "tests/data/models").glob("**/*.yaml")))
    revision_files = sorted((root / "migrations/versions").glob("*.yaml"))
    if not model_files or not revision_files:
        record(False, "shipped files", f"found {len(model_files)} model and "
               f"{len(revision_files)} revision files; expected some of each")
    for path in model_files:
        rel = str(path.relative_to(root))
        if rel in SKIP:
            print(f"SKIP {rel}: {SKIP[rel]}")
            continue
        check_file(model, path)
    for rel in SKIP:
        if not (root / rel).exists():
            record(False, rel, "listed in SKIP but does not exist")
    for path in revision_files:
        check_file(revision, path)

    for kind, v, valid, invalid in [("model", model, VALID_MODELS, INVALID_MODELS),
                                    ("revision", revision, VALID_REVISIONS, INVALID_REVISIONS)]:
        for label, text in valid:
            errors = errors_of(v, text)
            record(not errors, f"inline {kind} accepted: {label}", "; ".join(errors)[:500])
        for label, text in invalid:
            errors = errors_of(v, text)
            record(bool(errors), f"inline {kind} rejected: {label}",
                   errors[0][:200] if errors else "the schema accepted it")

    # The schemas' keys against the C++ parsers' key lists.
    try:
        cpp = cpp_vocabulary(root)
        model_defs = schemas["model.schema.json"]["$defs"]
        rev = schemas["revision.schema.json"]
        ops = rev["$defs"]["op"]["properties"]
        ours = {"column": model_defs["column"]["properties"],
                "table": model_defs["table"]["properties"],
                "revision": rev["properties"]}
        for op, op_schema in ops.items():
            if op == "sql":
                ours["op:sql"] = op_schema["anyOf"][1]["properties"]
            else:
                ours["op:" + op] = op_schema["properties"]
        for key in sorted(set(cpp) | set(ours)):
            theirs, mine = set(cpp.get(key, [])), set(ours.get(key, {}))
            detail = ""
            if key not in cpp or key not in ours:
                detail = "only in " + ("the schema" if key not in cpp else "the C++ parser")
            elif theirs != mine:
                detail = (f"C++ only: {sorted(theirs - mine)}; schema only: {sorted(mine - theirs)}")
            record(not detail, f"keys of {key} match the C++ parser", detail)
    except (ValueError, KeyError, IndexError, OSError) as e:
        record(False, "keys match the C++ parser", f"cannot compare: {e}")

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
