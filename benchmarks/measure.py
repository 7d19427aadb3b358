"""How the bench takes its measures: a `flask` command run the way an operator starts it, in a process of its own
(its wall time and peak memory); the database's statistics settled after a bulk load."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs `flask --app app <args>` in this process, then prints its peak memory (VmHWM, in KiB) as the last line: not
#: ru_maxrss, which a child started by fork and exec inherits from its parent.
_MEASURED_CLI = """
import sys
from pathlib import Path
from flask.cli import main
sys.argv = ["flask", "--app", "app", *sys.argv[1:]]
try:
    main()
except SystemExit as end:
    code = end.code or 0
else:
    code = 0
status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
print("maxrss_kib", status["VmHWM"].split()[0])
sys.exit(code)
"""


def run_flask(args: list[str], env: dict) -> tuple[float, float, list[str]]:
    """Seconds and peak MB of `flask <args>`, and the lines it printed; RuntimeError when it failed."""
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, "-c", _MEASURED_CLI, *args], cwd=ROOT, capture_output=True,
                              text=True, env={**env, "FLASK_APP": "app"}, check=False)
    seconds = time.perf_counter() - started
    lines = finished.stdout.strip().splitlines()
    if finished.returncode != 0 or not lines or not lines[-1].startswith("maxrss_kib"):
        raise RuntimeError(f"flask {' '.join(args)} failed ({finished.returncode}): {finished.stdout[-2000:]}"
                           f"{finished.stderr[-2000:]}")
    return seconds, int(lines[-1].split()[1]) / 1024, lines[:-1]


def settle_statistics() -> None:
    """On PostgreSQL, ANALYZE after a bulk load, as autovacuum does within a minute of such a change in production:
    the pages are timed with the plans of a database in use, not with the planner's guesses about tables it has not
    looked at yet (10,000 rows it takes for 4). SQLite keeps no statistics unless asked, in production too."""
    from sqlalchemy import text

    from openflyers_account.extensions import db

    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
