"""``kmeans-harness targets``: the built-in targets with availability, claims and precision."""

from __future__ import annotations

from harness.cli._options import EXIT_OK, add_json_option
from harness.cli.output import emit_json
from harness.targets.loader import load_target
from harness.targets.registry import BUILTINS, builtin_available


def register(subparsers) -> None:
    p = subparsers.add_parser("targets", help="list the built-in targets with availability, precision and claim")
    add_json_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    rows = []
    for name, b in BUILTINS.items():
        ok, reason = builtin_available(name)
        row = {"name": name, "available": ok, "description": b.description}
        if ok:
            row.update(load_target(name).record())
        else:
            row["reason"] = reason
        rows.append(row)
    emit_json(args.json, {"schema_version": 1, "targets": rows})
    if args.json != "-":
        print(f"{'target':<18} {'available':<10} {'claims':<15} {'precision':<10} {'init':<6} description")
        for r in rows:
            init_col = ("yes" if r.get("honours_init") else "no") if r["available"] else "-"
            print(
                f"{r['name']:<18} {'yes' if r['available'] else 'no':<10} {r.get('claims', '-'):<15} "
                f"{r.get('precision', '-'):<10} {init_col:<6} "
                f"{r['description'] if r['available'] else r['reason']}"
            )
    return EXIT_OK
