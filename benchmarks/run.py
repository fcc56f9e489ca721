"""Run every benchmark (``make bench``). Each prints medians and ratios to its baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    failed = 0
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"== {bench.name}", flush=True)
        failed += subprocess.call([sys.executable, str(bench)]) != 0
    sys.exit(1 if failed else 0)
