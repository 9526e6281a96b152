#!/usr/bin/python3
"""Benchmark workload generators (issue #5), deterministic for a given seed.

schema(DIR, N): N tables, each with an integer primary key, two varchar columns of varying
length, text, boolean, numeric(12,2), a timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, a
nullable foreign key to an earlier table (table 1 has the column but no key), one index and
one unique constraint. Written three ways that describe the same schema:
  DIR/ours/models/*.yaml + DIR/ours/distil.conf      our YAML model folder
  DIR/alembic/{alembic.ini,env.py,models.py,...}      SQLAlchemy models + Alembic env
  DIR/ddl.sqlite.sql, DIR/ddl.postgresql.sql          plain DDL for the matching database

chain(DIR, R): a linear chain of R revisions (odd: create a 3-column table; even: add a
column to an earlier table):
  DIR/ours/versions/*.yaml + DIR/ours/distil.conf     our revision files
  DIR/alembic/versions/*.py + alembic.ini, env.py     Alembic revision files
  DIR/floor.sqlite.sql, DIR/floor.postgresql.sql      the same DDL with the same
                                                      per-revision transactions and
                                                      version-table updates, for psql/sqlite3

Usage: gen.py schema DIR N [--seed S] | gen.py chain DIR R [--seed S]
"""
import os
import time
import random
import sys

SCHEMA_SEED = 20261126
CHAIN_SEED = 5

ALEMBIC_INI = """[alembic]
script_location = {script_location}
sqlalchemy.url = sqlite:///unused.db

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
"""

# The database URL comes from BENCH_DB_URL so one env serves SQLite and PostgreSQL.
# compare_type / compare_server_default make Alembic do the comparison work we do;
# transaction_per_migration gives the per-revision transactions our runner uses.
ENV_PY = '''import os
import sys
from alembic import context
from sqlalchemy import create_engine, pool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
config = context.config
url = os.environ.get("BENCH_DB_URL") or config.get_main_option("sqlalchemy.url")
{metadata_import}



def _bare(sql):
    sql = (sql or "").strip()
    while sql.startswith("(") and sql.endswith(")"):
        sql = sql[1:-1].strip()
    return sql


# Alembic 1.8.1 on SQLite parenthesises a reflected CURRENT_TIMESTAMP default for some tables
# (its column_reflect hook) but strips the parentheses from the model's default, so it
# reports spurious modify_default diffs on a matching database. Equal up to parentheses is
# equal; everything else falls back to Alembic's own comparison (None).
def compare_server_default(context, inspected_column, metadata_column, inspected_default,
                           metadata_default, rendered_metadata_default):
    if (context.dialect.name == "sqlite" and inspected_default is not None
            and rendered_metadata_default is not None
            and _bare(inspected_default) == _bare(rendered_metadata_default)):
        return False
    return None


OPTS = dict(target_metadata=target_metadata, compare_type=True,
            compare_server_default=compare_server_default, transaction_per_migration=True)


def run_migrations_offline():
    context.configure(url=url, literal_binds=True,
                      dialect_opts={{"paramstyle": "named"}}, **OPTS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **OPTS)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

SCRIPT_MAKO = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

DISTIL_CONF = """[database]
connection = sqlite:///unused.db

[migration]
models = models
versions = versions
version_table = alembic_version
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def write_alembic_env(root, metadata_import):
    write(os.path.join(root, "alembic.ini"), ALEMBIC_INI.format(script_location=root))
    write(os.path.join(root, "env.py"), ENV_PY.format(metadata_import=metadata_import))
    write(os.path.join(root, "script.py.mako"), SCRIPT_MAKO)
    os.makedirs(os.path.join(root, "versions"), exist_ok=True)


def write_distil_conf(root):
    write(os.path.join(root, "distil.conf"), DISTIL_CONF)
    os.makedirs(os.path.join(root, "models"), exist_ok=True)
    os.makedirs(os.path.join(root, "versions"), exist_ok=True)


# ---------------------------------------------------------------------------------------
# schema of N tables

def schema_tables(n, seed=SCHEMA_SEED):
    rng = random.Random(seed)
    tables = []
    for i in range(1, n + 1):
        name = "t%05d" % i
        tables.append({
            "name": name,
            "len_a": rng.randint(20, 200),
            "len_b": rng.randint(8, 64),
            "parent": ("t%05d" % rng.randint(1, i - 1)) if i > 1 else None,
        })
    return tables


def names(t):
    n = t["name"]
    return {"pk": "pk_" + n, "uq": "uq_%s_code" % n, "ix": "ix_%s_title" % n,
            "fk": "fk_%s_parent_id_%s" % (n, t["parent"]) if t["parent"] else None}


def yaml_table(t):
    nm = names(t)
    out = ["  %s:" % t["name"],
           "    columns:",
           "      - {name: id, type: integer, primary_key: true}",
           "      - {name: title, type: varchar(%d), nullable: false}" % t["len_a"],
           "      - {name: code, type: varchar(%d)}" % t["len_b"],
           "      - {name: body, type: text}",
           "      - {name: active, type: boolean}",
           '      - {name: amount, type: "numeric(12,2)"}',
           "      - {name: created_at, type: timestamp, nullable: false, default: CURRENT_TIMESTAMP}",
           "      - {name: parent_id, type: integer}",
           "    unique: [{name: %s, columns: [code]}]" % nm["uq"],
           "    indexes: [{name: %s, columns: [title]}]" % nm["ix"]]
    if t["parent"]:
        out.append("    foreign_keys: [{name: %s, columns: [parent_id], references: {table: %s, columns: [id]}}]"
                   % (nm["fk"], t["parent"]))
    return "\n".join(out) + "\n"


def sqlalchemy_table(t):
    nm = names(t)
    fk = ", ForeignKey('%s.id', name='%s')" % (t["parent"], nm["fk"]) if t["parent"] else ""
    return ("Table('{n}', metadata,\n"
            "      Column('id', Integer, autoincrement=False),\n"
            "      Column('title', String({a}), nullable=False),\n"
            "      Column('code', String({b})),\n"
            "      Column('body', Text),\n"
            "      Column('active', Boolean(create_constraint=False)),\n"
            "      Column('amount', Numeric(12, 2)),\n"
            "      Column('created_at', TIMESTAMP, nullable=False, server_default=text('CURRENT_TIMESTAMP')),\n"
            "      Column('parent_id', Integer{fk}),\n"
            "      PrimaryKeyConstraint('id', name='{pk}'),\n"
            "      UniqueConstraint('code', name='{uq}'),\n"
            "      Index('{ix}', 'title'))\n").format(
                n=t["name"], a=t["len_a"], b=t["len_b"], fk=fk, pk=nm["pk"], uq=nm["uq"], ix=nm["ix"])


def ddl_table(t, dialect):
    nm = names(t)
    cols = ["id INTEGER NOT NULL",
            "title VARCHAR(%d) NOT NULL" % t["len_a"],
            "code VARCHAR(%d)" % t["len_b"],
            "body TEXT",
            "active BOOLEAN",
            "amount NUMERIC(12, 2)",
            "created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL",
            "parent_id INTEGER",
            "CONSTRAINT %s PRIMARY KEY (id)" % nm["pk"],
            "CONSTRAINT %s UNIQUE (code)" % nm["uq"]]
    if t["parent"]:
        cols.append("CONSTRAINT %s FOREIGN KEY(parent_id) REFERENCES %s (id)" % (nm["fk"], t["parent"]))
    return ("CREATE TABLE %s (\n  %s\n);\nCREATE INDEX %s ON %s (title);\n"
            % (t["name"], ",\n  ".join(cols), nm["ix"], t["name"]))


def gen_schema(root, n, seed=SCHEMA_SEED):
    tables = schema_tables(n, seed)
    ours = os.path.join(root, "ours")
    write_distil_conf(ours)
    per_file = 50
    for start in range(0, n, per_file):
        chunk = tables[start:start + per_file]
        write(os.path.join(ours, "models", "tables_%05d.yaml" % (start + 1)),
              "tables:\n" + "\n".join(yaml_table(t) for t in chunk))

    alembic = os.path.join(root, "alembic")
    write_alembic_env(alembic, "from models import metadata as target_metadata")
    write(os.path.join(alembic, "models.py"),
          "# %d tables, generated by bench/gen.py (seed %d)\n" % (n, seed) +
          "from sqlalchemy import (MetaData, Table, Column, Integer, String, Text, Boolean, Numeric,\n"
          "                        TIMESTAMP, ForeignKey, PrimaryKeyConstraint, UniqueConstraint,\n"
          "                        Index, text)\n\nmetadata = MetaData()\n\n" +
          "\n".join(sqlalchemy_table(t) for t in tables))

    # One transaction per 500 tables: PostgreSQL's lock table (max_locks_per_transaction)
    # cannot hold the locks of 5000 CREATE TABLEs in one transaction.
    for dialect in ("sqlite", "postgresql"):
        chunks = ["BEGIN;\n" + "".join(ddl_table(t, dialect) for t in tables[i:i + 500]) + "COMMIT;\n"
                  for i in range(0, n, 500)]
        write(os.path.join(root, "ddl.%s.sql" % dialect), "".join(chunks))


# ---------------------------------------------------------------------------------------
# chain of R revisions

def chain_revisions(r, seed=CHAIN_SEED):
    rng = random.Random(seed)
    revs, created, seen = [], [], set()
    prev = None
    for k in range(1, r + 1):
        while True:
            rid = "%012x" % rng.getrandbits(48)
            if rid not in seen:
                break
        seen.add(rid)
        if k % 2 == 1:
            op = {"kind": "create", "table": "r%05d" % k, "len": rng.randint(10, 80)}
            created.append(op["table"])
        else:
            op = {"kind": "add", "table": rng.choice(created), "column": "c%05d" % k,
                  "len": rng.randint(10, 80)}
        revs.append({"k": k, "id": rid, "down": prev, "op": op})
        prev = rid
    return revs


def rev_message(rev):
    op = rev["op"]
    if op["kind"] == "create":
        return "create table %s" % op["table"]
    return "add %s.%s" % (op["table"], op["column"])


def yaml_revision(rev):
    op = rev["op"]
    down = '"%s"' % rev["down"] if rev["down"] else "null"
    head = ('# %04d %s\nrevision: "%s"\ndown_revision: %s\nmessage: %s\n'
            'create_date: 2026-11-26T00:00:00Z\n' % (rev["k"], rev_message(rev), rev["id"], down,
                                                   rev_message(rev)))
    if op["kind"] == "create":
        return head + ("upgrade:\n  - create_table:\n      name: {t}\n      columns:\n"
                       "        - {{name: id, type: integer, primary_key: true}}\n"
                       "        - {{name: label, type: varchar({n}), nullable: false}}\n"
                       "        - {{name: qty, type: integer}}\n"
                       "downgrade:\n  - drop_table: {{name: {t}}}\n").format(t=op["table"], n=op["len"])
    return head + ("upgrade:\n  - add_column:\n      table: {t}\n"
                   "      column: {{name: {c}, type: varchar({n})}}\n"
                   "downgrade:\n  - drop_column: {{table: {t}, column: {c}}}\n").format(
                       t=op["table"], c=op["column"], n=op["len"])


def alembic_revision(rev):
    op = rev["op"]
    head = ('"""%s"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            "revision = %r\ndown_revision = %r\nbranch_labels = None\ndepends_on = None\n\n\n"
            % (rev_message(rev), rev["id"], rev["down"]))
    if op["kind"] == "create":
        return head + ("def upgrade():\n"
                       "    op.create_table('{t}',\n"
                       "                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),\n"
                       "                    sa.Column('label', sa.String({n}), nullable=False),\n"
                       "                    sa.Column('qty', sa.Integer()),\n"
                       "                    sa.PrimaryKeyConstraint('id', name='pk_{t}'))\n\n\n"
                       "def downgrade():\n    op.drop_table('{t}')\n").format(t=op["table"], n=op["len"])
    return head + ("def upgrade():\n    op.add_column('{t}', sa.Column('{c}', sa.String({n})))\n\n\n"
                   "def downgrade():\n    op.drop_column('{t}', '{c}')\n").format(
                       t=op["table"], c=op["column"], n=op["len"])


def floor_sql(revs, dialect):
    """The DDL of the chain with one transaction per revision and the version-table update
    in it, as our runner and Alembic (transaction_per_migration) do."""
    out = ["CREATE TABLE alembic_version (\n  version_num VARCHAR(32) NOT NULL,\n"
           "  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);\n"]
    for rev in revs:
        op = rev["op"]
        out.append("BEGIN IMMEDIATE;\n" if dialect == "sqlite" else "BEGIN;\n")
        if op["kind"] == "create":
            out.append("CREATE TABLE %s (\n  id INTEGER NOT NULL,\n  label VARCHAR(%d) NOT NULL,\n"
                       "  qty INTEGER,\n  CONSTRAINT pk_%s PRIMARY KEY (id)\n);\n"
                       % (op["table"], op["len"], op["table"]))
        else:
            out.append("ALTER TABLE %s ADD COLUMN %s VARCHAR(%d);\n" % (op["table"], op["column"], op["len"]))
        if rev["down"] is None:
            out.append("INSERT INTO alembic_version (version_num) VALUES ('%s');\n" % rev["id"])
        else:
            out.append("UPDATE alembic_version SET version_num='%s' WHERE alembic_version.version_num = '%s';\n"
                       % (rev["id"], rev["down"]))
        out.append("COMMIT;\n")
    return "".join(out)


def gen_chain(root, r, seed=CHAIN_SEED):
    revs = chain_revisions(r, seed)
    width = max(4, len(str(r)))
    ours = os.path.join(root, "ours")
    write_distil_conf(ours)
    alembic = os.path.join(root, "alembic")
    write_alembic_env(alembic, "target_metadata = None")
    for rev in revs:
        slug = rev_message(rev).replace(" ", "_").replace(".", "_")
        write(os.path.join(ours, "versions", "%0*d_%s.yaml" % (width, rev["k"], slug)), yaml_revision(rev))
        write(os.path.join(alembic, "versions", "%0*d_%s.py" % (width, rev["k"], rev["id"])),
              alembic_revision(rev))
    for dialect in ("sqlite", "postgresql"):
        write(os.path.join(root, "floor.%s.sql" % dialect), floor_sql(revs, dialect))
    # A project's revision files are old; files modified in the last two seconds are never
    # trusted to our header cache (docs/architecture.md), so freshly generated ones would be
    # parsed on every timed run. Date both tools' files an hour back, as a checkout would be.
    past = time.time() - 3600
    for folder in (os.path.join(ours, "versions"), os.path.join(alembic, "versions")):
        for name in os.listdir(folder):
            os.utime(os.path.join(folder, name), (past, past))
    return revs


def main(argv):
    if len(argv) < 4 or argv[1] not in ("schema", "chain"):
        sys.stderr.write(__doc__)
        return 2
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else None
    root, count = os.path.abspath(argv[2]), int(argv[3])
    if argv[1] == "schema":
        gen_schema(root, count, seed if seed is not None else SCHEMA_SEED)
    else:
        gen_chain(root, count, seed if seed is not None else CHAIN_SEED)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
