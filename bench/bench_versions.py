"""Version parsing and comparison throughput for the major schemes.

For each scheme: parse 100,000 generated version strings cold (first sight) and warm (cached),
sort their keys, compare 100,000 pairs, and answer 10,000 "is this version inside the declared
range" queries (parse + VersionSet.contains), which is what the matcher does per package.

Reproduce: .venv/bin/python bench/bench_versions.py   (or `make bench`)
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

from deeptracy.versions import VersionScheme, scheme_for

N = 100_000
QUERIES = 10_000
Gen = Callable[[random.Random], str]


def _core(r: random.Random) -> str:
    return f"{r.randint(0, 30)}.{r.randint(0, 40)}.{r.randint(0, 200)}"


def _pick(r: random.Random, *suffixes: str) -> str:
    return r.choice(suffixes)


GENERATORS: dict[str, tuple[Gen, str]] = {
    "PyPI": (lambda r: _core(r) + _pick(r, "", "", "a1", "rc2", ".post1", ".dev3"), ">=1.2,<20"),
    "npm": (lambda r: _core(r) + _pick(r, "", "", "-beta.2", "-rc.1"), "^3.1.0 || >=10 <20"),
    "crates.io": (lambda r: _core(r) + _pick(r, "", "", "-alpha.1"), ">=0.5, <12"),
    "Go": (lambda r: "v" + _core(r) + _pick(r, "", "", "+incompatible"), ""),
    "Maven": (
        lambda r: _core(r) + _pick(r, "", "", "-SNAPSHOT", ".RELEASE", "-beta-2", ".Final"),
        "[1.0,2.0),[5.0,)",
    ),
    "NuGet": (lambda r: _core(r) + _pick(r, "", "", ".1", "-preview.3"), "[1.0,20.0)"),
    "RubyGems": (lambda r: _core(r) + _pick(r, "", "", ".rc1", ".beta.2"), "~> 5.2, >= 5.2.3"),
    "Packagist": (lambda r: _core(r) + _pick(r, "", "", "-beta1", "-RC2", "-p1"), "^5.1 || ~7.2"),
    "Pub": (lambda r: _core(r) + _pick(r, "", "", "-dev.1", "+2"), ">=1.0.0 <20.0.0"),
}


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(name: str, scheme: VersionScheme, generate: Gen, constraint: str) -> str:
    rng = random.Random(20240601)
    texts = [generate(rng) for _ in range(N)]
    cold = _seconds(lambda: [scheme.parse(t) for t in texts])
    warm = _seconds(lambda: [scheme.parse(t) for t in texts])
    keys = [scheme.parse(t) for t in texts]
    sort = _seconds(lambda: sorted(keys))
    pairs = [(rng.choice(texts), rng.choice(texts)) for _ in range(N)]
    compare = _seconds(lambda: [scheme.compare(a, b) for a, b in pairs])
    if constraint:
        allowed = scheme.parse_constraint(constraint)
        probes = texts[:QUERIES]
        query = _seconds(lambda: [allowed.contains(scheme.parse(t)) for t in probes])
        query_text = f"{query * 1e3:8.1f} ms"
    else:
        query_text = "   (exact only)"
    return (
        f"{name:<10} {len(set(texts)):>8} {cold:7.2f} s {warm * 1e3:8.1f} ms "
        f"{sort * 1e3:8.1f} ms {compare * 1e3:8.1f} ms {query_text}"
    )


def main() -> int:
    print(f"python {sys.version.split()[0]}; {N:,} versions per scheme, {QUERIES:,} range queries")
    print(
        f"{'scheme':<10} {'distinct':>8} {'cold parse':>9} {'warm parse':>11} "
        f"{'sort':>11} {'compare':>11} {'queries':>11}"
    )
    for name, (generate, constraint) in GENERATORS.items():
        scheme = scheme_for(name)
        assert scheme is not None
        print(bench(name, scheme, generate, constraint), flush=True)
    print("reproduce: .venv/bin/python bench/bench_versions.py   (or: make bench)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
