"""`deeptracy scan` of a checkout with 1,000 dependencies against the real OSV exports.

Target (issue 3): under 1 s wall, process start-up and matcher load included. The advisory
database is built once (the three current all.zip of ../shared/data, into SQLite); the
checkout has a requirements.txt, a Cargo.lock and a go.mod whose packages are drawn from the
advisories' own package names (so matching does real work) plus names with no advisory.
Each run is a fresh `deeptracy scan PATH --format json` process; best and median of R runs.
DeepTracy's sources are byte-compiled first, as any regular install is (this machine sets
PYTHONDONTWRITEBYTECODE, which would otherwise make every process recompile them).
Run: .venv/bin/python bench/bench_cli_scan.py [--runs R]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DEEPTRACY_SHARED_DATA", ROOT.parent / "shared" / "data")) / "osv"


def advisory_names(ecosystem: str, limit: int) -> list[str]:
    names: set[str] = set()
    with zipfile.ZipFile(DATA / "current" / ecosystem / "all.zip") as archive:
        for entry in archive.namelist():
            record = json.loads(archive.read(entry))
            for affected in record.get("affected", []):
                package = affected.get("package", {})
                if package.get("ecosystem") == ecosystem:
                    names.add(package["name"])
    return sorted(names)[:limit]


def build_checkout(root: Path, rng: random.Random) -> int:
    pypi = advisory_names("PyPI", 300) + [f"no-advisory-{k}" for k in range(100)]
    crates = advisory_names("crates.io", 250) + [f"plain-crate-{k}" for k in range(50)]
    go = advisory_names("Go", 250) + [f"example.com/plain/m{k}" for k in range(50)]
    pins = [f"{n}=={rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}" for n in pypi]
    (root / "requirements.txt").write_text("\n".join(pins) + "\n")
    blocks = [
        f'[[package]]\nname = "{n}"\nversion = "0.{rng.randint(0, 30)}.{rng.randint(0, 9)}"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
        for n in crates
    ]
    (root / "Cargo.lock").write_text("version = 3\n\n" + "\n".join(blocks))
    requires = "\n".join(f"\t{n} v0.{rng.randint(0, 30)}.{rng.randint(0, 9)}" for n in go)
    (root / "go.mod").write_text(f"module example.com/app\n\ngo 1.22\n\nrequire (\n{requires}\n)\n")
    return len(pypi) + len(crates) + len(go)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not (DATA / "current").is_dir():
        sys.exit(f"needs the real OSV exports at {DATA} (set DEEPTRACY_SHARED_DATA)")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        home, checkout = Path(tmp) / "home", Path(tmp) / "checkout"
        checkout.mkdir()
        env = {**os.environ, "DEEPTRACY_HOME": str(home)}
        env.pop("DATABASE_URI", None)
        deeptracy = [sys.executable, "-m", "deeptracy"]
        for ecosystem in ("PyPI", "Go", "crates.io"):
            subprocess.run(
                [*deeptracy, "advisories", "import", str(DATA / "current" / ecosystem / "all.zip")],
                env=env,
                check=True,
                capture_output=True,
            )
        count = build_checkout(checkout, random.Random(7))
        times, findings = [], 0
        for _ in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run(
                [*deeptracy, "scan", str(checkout), "--format", "json"],
                env=env,
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - start)
            if done.returncode not in (0, 1):
                sys.exit(f"scan failed ({done.returncode}): {done.stderr[-2000:]}")
            report = json.loads(done.stdout)
            findings = len(report["findings"])
            packages = len(report["inventory"]["packages"]) if "inventory" in report else count
    times.sort()
    print(
        f"deeptracy scan, {count} dependencies ({packages} in the report), {findings} findings: "
        f"best {times[0]:.3f} s, median {times[len(times) // 2]:.3f} s wall per process "
        f"(target < 1 s)"
    )
    print("command: .venv/bin/python bench/bench_cli_scan.py")


if __name__ == "__main__":
    main()
