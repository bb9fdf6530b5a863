"""Keys under which ``tox -e bench`` stores its asv results, so that runs from any checkout add to
one history: ``machine`` records this host under a fixed name, ``label-python`` files the results
of ``asv run --python=same`` under the interpreter's version instead of its path.

asv imports every module in ``benchmarks/`` when it discovers benchmarks: standard library and asv
only, and nothing runs on import.
"""

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The default machine name (``KMEANS_HARNESS_ASV_MACHINE`` overrides it): results are compared
#: only within one name, so give each benchmarking host its own.
DEFAULT_MACHINE = "bench-host"


def machine_name() -> str:
    return os.environ.get("KMEANS_HARNESS_ASV_MACHINE", DEFAULT_MACHINE)


def record_machine(name: str) -> dict:
    """Record this host's OS, CPU, core count and RAM under ``name`` in ``~/.asv-machine.json``.

    ``asv machine --machine NAME --yes`` records the name alone (asv keeps only the fields that
    differ from the detected values), so the dashboard would not say what hardware a point ran on.
    """
    from asv.machine import Machine, MachineCollection

    info = dict(Machine.get_defaults(), machine=name)
    MachineCollection.save(name, info)
    return info


def label_python(results_dir: Path, name: str, matrix: dict, executable: str = sys.executable) -> list[Path]:
    """File the results of ``asv run --python=same`` run by ``executable`` under its ``X.Y`` version
    and the configuration's unpinned requirements that it has installed.

    asv keys an existing environment's results (and so the dashboard's lines) by the interpreter's
    path, which differs between checkouts; the virtualenvs that asv builds for the history command
    are keyed by version and requirements.  Labelled alike, both add points to the same lines.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    requirements = {
        package: ""
        for package, versions in matrix.get("req", {}).items()
        if versions == [""] and importlib.util.find_spec(package) is not None
    }
    changed = []
    for path in sorted((results_dir / name).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if path.name == "machine.json" or record.get("python") != executable:
            continue
        record["python"] = version
        record["params"].update(requirements, python=version)
        record["requirements"].update(requirements)
        path.write_text(json.dumps(record, indent=4, sort_keys=True) + "\n", encoding="utf-8")
        changed.append(path)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["machine", "label-python"])
    parser.add_argument("--machine", default=machine_name(), help="default: $KMEANS_HARNESS_ASV_MACHINE or %(default)s")
    args = parser.parse_args(argv)
    if args.command == "machine":
        info = record_machine(args.machine)
        print("asv machine: " + ", ".join(f"{key} {value}" for key, value in info.items()))
    else:
        config = json.loads((ROOT / "asv.conf.json").read_text(encoding="utf-8"))
        changed = label_python(ROOT / config["results_dir"], args.machine, config.get("matrix", {}))
        print(f"asv results: {len(changed)} file(s) of {sys.executable} filed under python {sys.version_info[:2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
