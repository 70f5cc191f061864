"""Write appwrite.json's `tablesDB`/`tables` and schema/SCHEMA.md from schema/tables.json.

schema/tables.json is the one source of truth for the tables. Run `make schema` after editing it;
`python scripts/sync_schema.py --check` exits 1 when appwrite.json or SCHEMA.md is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "tables.json"
APPWRITE_JSON = ROOT / "appwrite.json"
SCHEMA_MD = ROOT / "schema" / "SCHEMA.md"


def load_schema(path: Path = SCHEMA) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# What Appwrite 1.9 returns for an unset bound, per column type (the create actions' `$min ??= PHP_INT_MIN`,
# `$max ??= PHP_INT_MAX`, `$min ??= -PHP_FLOAT_MAX`, `$max ??= PHP_FLOAT_MAX`: appwrite/appwrite
# src/Appwrite/Platform/Modules/Databases/Http/Databases/Collections/Attributes/{Integer,Float}/Create.php).
UNSET_BOUNDS: dict[str, tuple[int | float, int | float]] = {
    "integer": (-(2**63), 2**63 - 1),
    "double": (-sys.float_info.max, sys.float_info.max),
}


def appwrite_column(col: dict[str, Any]) -> dict[str, Any]:
    """A column as `appwrite pull tables` writes it: every field of Appwrite's Column<type> response model that the
    CLI keeps (appwrite-cli 12 `lib/config.js` KeysColumns), in the model's order and with the server's values.

    The CLI's push compares each field the server returns with this file (`lib/commands/push.js`
    checkAttributeChanges); a field missing here reads as a change, and a change of any field other than
    `required`, `default`, `elements`, `min` and `max` makes it delete and recreate the column, losing its data.
    So a datetime column carries the `"format": ""` Appwrite stores for it, a string column its `encrypt` flag,
    a number column both bounds.
    """
    kind = col["type"]
    out: dict[str, Any] = {
        "key": col["key"],
        "type": kind,
        "required": bool(col.get("required", False)),
        "array": bool(col.get("array", False)),
    }
    string_format = col.get("format") if kind == "string" else None
    if string_format == "enum":
        out["elements"] = list(col["elements"])
        out["format"] = "enum"
    elif string_format in ("email", "url", "ip"):
        out["format"] = string_format
    elif kind == "string":
        out["size"] = int(col["size"])
    elif kind in UNSET_BOUNDS:
        low, high = UNSET_BOUNDS[kind]
        out["min"] = col.get("min", low)
        out["max"] = col.get("max", high)
    elif kind == "datetime":
        out["format"] = ""
    out["default"] = col.get("default")
    if kind == "string" and string_format is None:
        out["encrypt"] = bool(col.get("encrypt", False))
    return out


def appwrite_tables(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    db = schema["database"]
    databases = [{"$id": db["$id"], "name": db["name"], "enabled": True}]
    tables = []
    for table in schema["tables"]:
        tables.append(
            {
                "$id": table["$id"],
                "$permissions": list(table["$permissions"]),
                "databaseId": db["$id"],
                "name": table["name"],
                "enabled": True,
                "rowSecurity": bool(table["rowSecurity"]),
                "columns": [appwrite_column(c) for c in table["columns"]],
                "indexes": [
                    {
                        "key": ix["key"],
                        "type": ix["type"],
                        "status": "available",
                        "columns": list(ix["columns"]),
                        "orders": list(ix.get("orders", ["ASC"] * len(ix["columns"]))),
                    }
                    for ix in table["indexes"]
                ],
            }
        )
    return databases, tables


def render_markdown(schema: dict[str, Any]) -> str:
    lines = [
        "# EcoTrace tables",
        "",
        "Generated from `schema/tables.json` by `make schema`; do not edit by hand.",
        f"Database `{schema['database']['$id']}`.",
        "",
    ]
    for table in schema["tables"]:
        perms = ", ".join(f"`{p}`" for p in table["$permissions"]) or "none (server only)"
        lines += [
            f"## `{table['$id']}`",
            "",
            table.get("description", ""),
            "",
            f"Row security: {'on' if table['rowSecurity'] else 'off'}. Table permissions: {perms}.",
            "",
            "| column | type | required | notes |",
            "|---|---|---|---|",
        ]
        for col in table["columns"]:
            kind = col["type"]
            if col.get("format") == "enum":
                kind = "enum(" + ", ".join(col["elements"]) + ")"
            elif kind == "string":
                kind = f"string({col['size']})"
            if col.get("array"):
                kind += "[]"
            notes = col.get("description", "")
            if "default" in col:
                notes = (notes + f" default `{json.dumps(col['default'])}`").strip()
            req = "yes" if col.get("required") else ""
            lines.append(f"| `{col['key']}` | {kind} | {req} | {notes} |")
        lines += ["", "Indexes:", ""]
        for ix in table["indexes"]:
            cols = ", ".join(f"{c} {o}" for c, o in zip(ix["columns"], ix.get("orders", []), strict=False))
            lines.append(f"- `{ix['key']}` ({ix['type']}): {cols}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if generated files are out of date")
    args = parser.parse_args(argv)

    schema = load_schema()
    config = json.loads(APPWRITE_JSON.read_text(encoding="utf-8"))
    databases, tables = appwrite_tables(schema)
    new_config = dict(config)
    new_config["tablesDB"] = databases
    new_config["tables"] = tables
    new_json = json.dumps(new_config, indent=2, ensure_ascii=False) + "\n"
    new_md = render_markdown(schema)

    stale = []
    if APPWRITE_JSON.read_text(encoding="utf-8") != new_json:
        stale.append(APPWRITE_JSON.name)
    if not SCHEMA_MD.exists() or SCHEMA_MD.read_text(encoding="utf-8") != new_md:
        stale.append("schema/SCHEMA.md")
    if args.check:
        if stale:
            print("out of date (run `make schema`): " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    APPWRITE_JSON.write_text(new_json, encoding="utf-8")
    SCHEMA_MD.write_text(new_md, encoding="utf-8")
    print("wrote " + ", ".join(stale) if stale else "up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
