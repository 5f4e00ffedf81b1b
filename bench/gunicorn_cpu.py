"""A gunicorn configuration file for the benches (`gunicorn -c bench/gunicorn_cpu.py`): each worker process adds up
the CPU time it spends on each kind of request (method and path, numbers and codes replaced by "N") and writes the
sums to DUDAO_CPU_DIR/PID.json when it exits. common.cpu_report() reads them: which requests the server's CPU went
to under load, as opposed to how long the clients waited (which includes the queue)."""

import json
import os
import re
import time

NUMBERS = re.compile(r"\d+")

_spent: dict[str, list[float]] = {}  # kind: [requests, CPU seconds]
_started = [0.0]


def pre_request(worker, req) -> None:
    _started[0] = time.process_time()  # a sync worker serves one request at a time


def post_request(worker, req, environ, resp) -> None:
    kind = f"{req.method} {NUMBERS.sub('N', req.path)}"
    entry = _spent.setdefault(kind, [0, 0.0])
    entry[0] += 1
    entry[1] += time.process_time() - _started[0]


def worker_exit(server, worker) -> None:
    folder = os.environ.get("DUDAO_CPU_DIR")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as out:
            json.dump(_spent, out)
