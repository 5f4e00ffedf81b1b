"""Evidence: the API does what its OpenAPI document (/api/v1/openapi.json) says, for every role, on any input —
schemathesis generates requests from the document (valid and invalid ones) and checks every answer: no server
error (5xx), the body matches the documented schema of its status, and the status is one the document lists.

Run: .venv/bin/python bench/api_schema.py [--max-examples 5]
A fresh temporary DUDAO_HOME with the demo (SQLite; DUDAO_BENCH_CACHE=DIR keeps it between runs, DATABASE_URL an
empty scratch PostgreSQL database instead), the real server (gunicorn, 3 sync workers, loopback), and one
`schemathesis run` per role with that role's bearer token: county_admin, office, leader, inspector, town_staff,
village_staff (the demo's accounts) and anonymous (no token). Each operation gets at most --max-examples generated
cases in the fuzzing phase, plus schemathesis's examples and coverage phases (its stateful phase is not run: it
chains calls without end). Nothing is excluded: every operation only changes the demo's data, in the caller's area,
and this copy is thrown away at the end.

Prints per role: operations tested, requests sent, server errors, schema violations (the body or the status not as
documented); then "met" (exit 0) when both are 0 for every role, else "NOT met" (exit 1) with the first failures.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import leaders_load as base  # bench/leaders_load.py: build(), run_child()
from common import BIN, child_answer, gunicorn  # bench/common.py

ROLES = [("county_admin", "demo_admin"), ("office", "demo_office"), ("leader", "demo_leader"),
         ("inspector", "demo_inspector"), ("town_staff", "demo_town"), ("village_staff", "demo_village"),
         ("anonymous", None)]
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
SERVER_ERROR = "ServerError"  # a failure's type in the report; every other type is a schema violation here


def failures(report: dict) -> list[tuple[str, int, str, str]]:
    """(type, count, operations, title) of each kind of failure in schemathesis's JSON report."""
    return [(group["type"], group["count"], ", ".join(group["operations"]), group["title"])
            for group in report["failures"]]


def role_run(address: str, token: str | None, max_examples: int, out: Path) -> dict:
    """One `schemathesis run` with the token, its output into `out`; returns its JSON report."""
    path = out.with_suffix(".json")
    command = [str(BIN / "schemathesis"), "run", f"{address}/api/v1/openapi.json", "--checks", CHECKS,
               "--max-examples", str(max_examples), "--phases", "examples,coverage,fuzzing", "--seed", "1",
               "--workers", "1", "--request-timeout", "60", "--report", "json", "--report-json-path", str(path),
               "--suppress-health-check", "all"]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    with out.open("w") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False, cwd=out.parent,  # its cache
                       env=dict(os.environ) | {"NO_COLOR": "1", "COLUMNS": "120"})
    return json.loads(path.read_text())


def measure(size: str, copied: str | None, max_examples: int) -> bool:
    from dudao.accounts import services as accounts
    from dudao.accounts.access import SYSTEM
    from dudao.accounts.models import User

    base.build(size, copied, users=set())
    tokens = {username: accounts.token_create(actor=SYSTEM, user=User.objects.get(username=username))
              for _role, username in ROLES if username}
    ok = True
    logs = Path(tempfile.mkdtemp(prefix="dudao-api-schema-"))
    found: list[tuple[str, str, int, str, str]] = []
    print(f"\nschemathesis, checks {CHECKS}, at most {max_examples} generated cases per operation and phase")
    print(f"{'role':<14} {'operations':>10} {'requests':>8} {'server errors':>13} {'schema violations':>17} "
          f"{'seconds':>7}")
    with gunicorn(base.WORKERS) as address:
        for role, username in ROLES:
            started = time.perf_counter()
            report = role_run(address, tokens.get(username) if username else None, max_examples,
                              logs / f"{role}.txt")
            failed = failures(report)
            errors = sum(count for kind, count, _o, _t in failed if kind == SERVER_ERROR)
            schema = sum(count for kind, count, _o, _t in failed if kind != SERVER_ERROR)
            ok = ok and errors == 0 and schema == 0 and not report["errors"] and report["complete"]
            found += [(role, *f) for f in failed]
            print(f"{role:<14} {report['operations']['tested']:>10} {report['test_cases']['generated']:>8} "
                  f"{errors:>13} {schema:>17} {time.perf_counter() - started:>7.0f}"
                  f"{'  errors: ' + str(report['errors']) if report['errors'] else ''}", flush=True)
    for role, kind, count, operations, title in found[:40]:
        print(f"{role}: {kind} ×{count}: {operations}: {title}")
    if found:
        print(f"(schemathesis's own output, with the requests that fail: {logs})")
    print(f"\ntarget: 0 server errors and 0 schema violations for every role: {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # a fresh DUDAO_HOME and Django in this process
        base.run_child("county", "api", lambda size, copied: {"ok": measure(size, copied, args.max_examples)},
                       "RESULT")
        return
    answer = child_answer([__file__, "--child", "--max-examples", str(args.max_examples)], "RESULT")
    sys.exit(0 if answer["ok"] else 1)


if __name__ == "__main__":
    main()
