"""Extraction of a 10,000-package package-lock.json (v3) against a plain json.load of it.

Target: extraction (read, decode, parse, walk, build packages) within 2x json.load. Both are
timed in CPU time, alternating, best of R rounds; the file's entries are modelled on real
lockfiles (about 530 bytes each).
Run: .venv/bin/python bench/bench_package_lock.py [--packages N] [--runs R]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from deeptracy.inventory.extractors.javascript.package_lock import PackageLockExtractor
from deeptracy.inventory.interface import ScanFile

REGISTRY = "https://registry.npmjs.org"


def _integrity(seed: str) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(seed.encode()).digest()).decode()


_WORDS = [
    "plugin",
    "transform",
    "helper",
    "core",
    "utils",
    "config",
    "parser",
    "loader",
    "react",
    "webpack",
    "babel",
    "eslint",
    "types",
    "runtime",
    "compat",
    "string",
    "array",
    "object",
    "stream",
    "async",
    "color",
    "path",
    "glob",
    "fs",
    "json",
    "schema",
    "cli",
    "env",
    "http",
    "client",
    "server",
    "test",
    "mock",
    "jest",
    "postcss",
    "css",
    "minify",
    "source",
    "map",
    "module",
]


def _name(rng: random.Random, i: int) -> str:
    words = "-".join(rng.sample(_WORDS, rng.randint(1, 4)))
    if i % 5 == 0:
        return f"@{rng.choice(_WORDS)}/{words}-{i}"
    return f"{words}-{i}"


def generate(count: int, seed: int = 7) -> dict[str, object]:
    """A v3 lockfile shaped like a large application's (entry sizes and fields modelled on
    real lockfiles): hoisted and nested copies, scoped names, dev/optional/devOptional/peer
    flags, dependency maps, engines, peer dependencies, funding and bin fields."""
    rng = random.Random(seed)
    names = [_name(rng, i) for i in range(count)]
    root_deps = dict.fromkeys(names[:60], "^1.0.0")
    root_dev = dict.fromkeys(names[60:120], "^1.0.0")
    packages: dict[str, object] = {
        "": {
            "name": "big-app",
            "version": "1.0.0",
            "dependencies": root_deps,
            "devDependencies": root_dev,
        }
    }
    hoisted: list[str] = []
    for i, name in enumerate(names):
        if i > 200 and rng.random() < 0.25:
            key = f"{rng.choice(hoisted)}/node_modules/{name}"
        else:
            key = f"node_modules/{name}"
            hoisted.append(key)
        version = f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"
        base = name.rpartition("/")[2]
        entry: dict[str, object] = {
            "version": version,
            "resolved": f"{REGISTRY}/{name}/-/{base}-{version}.tgz",
            "integrity": _integrity(key),
        }
        roll = rng.random()
        if roll < 0.40:
            entry["dev"] = True
        elif roll < 0.45:
            entry["optional"] = True
        elif roll < 0.48:
            entry["devOptional"] = True
        elif roll < 0.50:
            entry["peer"] = True
        deps = rng.sample(names, min(len(names), rng.choice((0, 0, 1, 1, 2, 2, 3, 4, 6, 9))))
        if deps:
            entry["dependencies"] = {
                d: f"^{rng.randint(0, 9)}.{rng.randint(0, 20)}.0" for d in deps
            }
        if rng.random() < 0.1:
            entry["bin"] = {base: "bin/cli.js"}
        if rng.random() < 0.6:
            entry["engines"] = {"node": rng.choice((">=6.9.0", ">=12", "^14.17.0 || >=16.0.0"))}
        if rng.random() < 0.15:
            entry["funding"] = {"url": f"https://github.com/sponsors/{rng.choice(_WORDS)}"}
        if rng.random() < 0.15:
            entry["peerDependencies"] = {rng.choice(names): "^7.0.0-0"}
        packages[key] = entry
    return {
        "name": "big-app",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": packages,
    }


def best_of(runs: int, *actions: Callable[[], object]) -> list[float]:
    """Best CPU time of each action over `runs` rounds. The actions alternate within a round
    and CPU time (not wall time) is measured, so that other work on a shared machine slows
    neither figure more than the other."""
    best = [float("inf")] * len(actions)
    for _ in range(runs):
        for i, action in enumerate(actions):
            start = time.process_time()
            action()
            best[i] = min(best[i], time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    extractor = PackageLockExtractor()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "package-lock.json"
        path.write_text(json.dumps(generate(args.packages), indent=2) + "\n")
        size = path.stat().st_size

        def load() -> object:
            with path.open("rb") as handle:
                return json.load(handle)

        def extract() -> object:
            file = ScanFile(path="package-lock.json", data=path.read_bytes())
            found = list(extractor.extract(file))
            assert len(found) == args.packages, len(found)
            return found

        extract()  # warm-up, and a check that every package is found
        t_load, t_extract = best_of(args.runs, load, extract)
    ratio = t_extract / t_load
    print(f"package-lock.json v3: {args.packages} packages, {size / 1e6:.1f} MB")
    print(f"json.load:  {t_load * 1000:8.1f} ms CPU (best of {args.runs})")
    print(f"extraction: {t_extract * 1000:8.1f} ms CPU (best of {args.runs})")
    print(f"ratio:      {ratio:8.2f}x json.load (target <= 2.00x)")
    print(
        f"command:    {sys.executable} bench/bench_package_lock.py --packages "
        f"{args.packages} --runs {args.runs}"
    )
    return 0 if ratio <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
