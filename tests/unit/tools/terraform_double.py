"""A stand-in terraform executable that records its calls, for testing how tools drive terraform.

`conftest.fake_terraform` installs it as TERRAFORM_BIN; `calls` reads back what it was asked to do.
"""

from __future__ import annotations

import json
from pathlib import Path

FAKE = r"""#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
log = Path(os.environ["FAKE_TF_LOG"])
args = sys.argv[1:]
record = {"args": args, "data_dir": os.environ.get("TF_DATA_DIR")}
for arg in args:
    if arg.startswith("-var-file="):
        record["var_file"] = json.loads(Path(arg.split("=", 1)[1]).read_text())
    if arg.startswith("-chdir="):  # inside terraform.evaluate's copy: every file the copy holds
        here = Path(arg.split("=", 1)[1])
        copy = next((p for p in [here, *here.parents] if p.name.startswith("slo-tf-eval-")), None)
        if copy is not None:
            record["copied"] = sorted(str(f.relative_to(copy)) for f in copy.rglob("*") if f.is_file())
record["tf_vars"] = {k: v for k, v in os.environ.items() if k.startswith("TF_VAR_")}
with log.open("a") as handle:
    handle.write(json.dumps(record) + "\n")
command = next((a for a in args if not a.startswith("-")), "")
if os.environ.get("FAKE_TF_FAIL") == command:
    print("Error: something broke in " + command, file=sys.stderr)
    sys.exit(3)
if command == "output":
    print(json.dumps({"dynamodb_table_name": {"value": "slo-measurements", "type": "string"}}))
elif command == "show":
    print(json.dumps({"format_version": "1.2", "resource_changes": [
        {"address": "a.b", "change": {"actions": ["no-op"]}},
        {"address": "c.d", "change": {"actions": ["update"]}},
        {"address": "data.e.f", "change": {"actions": ["read"]}}]}))
elif command == "test":
    f = "tests/a.tftest.hcl"
    for message in [
        {"type": "test_abstract", "test_abstract": {f: ["ok", "bad", "later"]}},
        {"type": "test_run", "test_run": {"path": f, "run": "ok", "progress": "complete", "status": "pass"}},
        {"type": "diagnostic", "@testfile": f, "@testrun": "bad",
         "diagnostic": {"severity": "error", "summary": "Missing expected failure", "detail": "var.x"}},
        {"type": "test_run", "test_run": {"path": f, "run": "bad", "progress": "complete",
                                          "status": "error"}},
        {"type": "test_run", "test_run": {"path": f, "run": "later", "progress": "complete",
                                          "status": "skip"}},
    ]:
        print(json.dumps(message))
    sys.exit(1)
elif command == "console":
    expr = sys.stdin.read()
    print(json.dumps(json.dumps({"expr": expr.strip()})))
"""


def calls(log: Path) -> list[dict]:
    """The fake's recorded invocations, in order."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
