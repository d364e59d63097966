"""Shared helpers of the benchmarks: configuration, database, timing."""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def configure():
    "Point trytond at BENCH_DATABASE_URI and return the configuration file"
    uri = os.environ.get('BENCH_DATABASE_URI')
    if not uri or not uri.startswith('postgresql'):
        sys.exit("error: benchmarks run on PostgreSQL: use bench/run.sh or "
            "set BENCH_DATABASE_URI=postgresql://user@host:port/")
    fd, path = tempfile.mkstemp(prefix='bench-', suffix='.conf')
    with os.fdopen(fd, 'w') as f:
        f.write(f"[database]\nuri = {uri}\nlanguage = zh_CN\n")
    os.environ['TRYTOND_CONFIG'] = path
    from trytond.config import config
    config.update_etc(path)
    return path


def create_demo_database(config_file, name, customers=0):
    "A database with the five modules and the demo organization"
    result = subprocess.run(
        [str(BIN / 'crm-oa-demo'), '-c', config_file, '-d', name,
            '--customers', str(customers), '--reset'],
        capture_output=True, text=True)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(title, rows):
    "Print a small table: (label, value) pairs"
    print(f"\n{title}")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def machine():
    cpu = 'unknown CPU'
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


__all__ = ['configure', 'create_demo_database', 'timed', 'percentile',
    'report', 'machine', 'statistics']
