"""Walk and extract a generated monorepo: 30,000 files of which 200 are manifests/lockfiles.

Target (issue 3): walked and extracted in under 2 s. The tree is source files in nested
directories (which the walker must pass over quickly) plus 200 manifests and lockfiles of ten
formats with 30 packages each, and an ignored node_modules/.venv the walker must not enter.
Run: .venv/bin/python bench/bench_tree.py [--files N] [--manifests M] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from deeptracy.inventory.walker import scan_tree

PER_MANIFEST = 30


def _requirements(i: int) -> tuple[str, str]:
    lines = [f"pkg-{i}-{k}=={k % 7}.{k % 5}.{k}" for k in range(PER_MANIFEST)]
    return "requirements.txt", "\n".join(lines) + "\n"


def _package_lock(i: int) -> tuple[str, str]:
    packages: dict[str, object] = {"": {"name": f"app{i}", "version": "1.0.0"}}
    for k in range(PER_MANIFEST):
        packages[f"node_modules/mod-{i}-{k}"] = {"version": f"{k % 4}.{k % 9}.{k}"}
    return "package-lock.json", json.dumps({"lockfileVersion": 3, "packages": packages})


def _go_mod(i: int) -> tuple[str, str]:
    reqs = "\n".join(f"\texample.com/m{i}/p{k} v1.{k}.0" for k in range(PER_MANIFEST))
    return "go.mod", f"module example.com/app{i}\n\ngo 1.21\n\nrequire (\n{reqs}\n)\n"


def _cargo_lock(i: int) -> tuple[str, str]:
    blocks = [
        f'[[package]]\nname = "crate-{i}-{k}"\nversion = "0.{k}.1"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
        for k in range(PER_MANIFEST)
    ]
    return "Cargo.lock", "version = 3\n\n" + "\n".join(blocks)


def _gemfile_lock(i: int) -> tuple[str, str]:
    specs = "\n".join(f"    gem-{i}-{k} (1.{k}.0)" for k in range(PER_MANIFEST))
    deps = "\n".join(f"  gem-{i}-{k}" for k in range(PER_MANIFEST))
    text = (
        "GEM\n  remote: https://rubygems.org/\n  specs:\n"
        f"{specs}\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n{deps}\n"
    )
    return "Gemfile.lock", text


def _composer_lock(i: int) -> tuple[str, str]:
    packages = [{"name": f"vendor{i}/lib{k}", "version": f"v2.{k}.0"} for k in range(PER_MANIFEST)]
    return "composer.lock", json.dumps({"packages": packages, "packages-dev": []})


def _pom(i: int) -> tuple[str, str]:
    deps = "".join(
        f"<dependency><groupId>org.g{i}</groupId><artifactId>a{k}</artifactId>"
        f"<version>${{v{k}}}</version></dependency>"
        for k in range(PER_MANIFEST)
    )
    props = "".join(f"<v{k}>1.{k}.0</v{k}>" for k in range(PER_MANIFEST))
    text = (
        '<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0">'
        f"<modelVersion>4.0.0</modelVersion><groupId>org.app</groupId><artifactId>app{i}"
        f"</artifactId><version>1.0</version><properties>{props}</properties>"
        f"<dependencies>{deps}</dependencies></project>"
    )
    return "pom.xml", text


def _poetry_lock(i: int) -> tuple[str, str]:
    blocks = [
        f'[[package]]\nname = "poet-{i}-{k}"\nversion = "2.{k}.0"\ndescription = ""\n'
        'optional = false\npython-versions = "*"\nfiles = []\n'
        for k in range(PER_MANIFEST)
    ]
    meta = '[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "x"\n'
    return "poetry.lock", "\n".join(blocks) + "\n" + meta


def _yarn_lock(i: int) -> tuple[str, str]:
    blocks = [
        f'"y-{i}-{k}@^1.{k}.0":\n  version "1.{k}.3"\n  resolved "https://r/y-{i}-{k}.tgz"\n'
        for k in range(PER_MANIFEST)
    ]
    return "yarn.lock", "# yarn lockfile v1\n\n\n" + "\n".join(blocks)


def _gradle(i: int) -> tuple[str, str]:
    lines = [
        f"org.gr{i}:lib{k}:3.{k}.0=compileClasspath,runtimeClasspath" for k in range(PER_MANIFEST)
    ]
    return "gradle.lockfile", "\n".join(lines) + "\nempty=\n"


FORMATS: list[Callable[[int], tuple[str, str]]] = [
    _requirements,
    _package_lock,
    _go_mod,
    _cargo_lock,
    _gemfile_lock,
    _composer_lock,
    _pom,
    _poetry_lock,
    _yarn_lock,
    _gradle,
]


def build(root: Path, files: int, manifests: int) -> int:
    """Write the tree; returns the number of files written."""
    written = 0
    for i in range(manifests):
        component = root / f"services/team{i % 20}/svc{i}"
        component.mkdir(parents=True, exist_ok=True)
        name, text = FORMATS[i % len(FORMATS)](i)
        (component / name).write_text(text)
        written += 1
    # Noise the walker must skip: dependencies installed in place.
    for ignored in ("node_modules/left-pad", ".venv/lib/site-packages/requests"):
        folder = root / ignored
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(50):
            (folder / f"f{k}.js").write_text("x")
        (folder / "package.json").write_text('{"dependencies": {"a": "1"}}')
        written += 51
    k = 0
    while written < files:
        folder = root / f"src/pkg{k % 300}/mod{k % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        for ext in (".py", ".js", ".java", ".md", ".json"):
            if written >= files:
                break
            (folder / f"file{k}{ext}").write_text(f"// file {k}\n")
            written += 1
        k += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30_000)
    parser.add_argument("--manifests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        total = build(root, args.files, args.manifests)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            inventory = scan_tree(root)
            times.append(time.perf_counter() - start)
        expected = args.manifests * PER_MANIFEST
        assert len(inventory.packages) == expected, (len(inventory.packages), inventory.errors[:3])
        assert not inventory.errors, inventory.errors[:3]
    print(
        f"tree walk + extraction: {total} files, {args.manifests} manifests of "
        f"{len(FORMATS)} formats, {len(inventory.packages)} packages: best {min(times):.3f} s, "
        f"median {sorted(times)[len(times) // 2]:.3f} s (target < 2 s)"
    )
    print("command: .venv/bin/python bench/bench_tree.py")


if __name__ == "__main__":
    main()
