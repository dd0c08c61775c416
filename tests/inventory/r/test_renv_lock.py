"""renv.lock: CRAN and CRAN mirrors, other repositories, GitHub and Bioconductor."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.r.renv import RenvLockExtractor

DATA = Path(__file__).parent / "data"
F = [("analysis/renv.lock", None)]


def test_renv_lock() -> None:
    inv = scan(DATA, RenvLockExtractor())
    assert rows(inv) == [
        # CRAN names are case-sensitive, and sorted so
        (
            "BiocGenerics",
            None,
            None,
            None,
            None,
            F,
            "Bioconductor package (package version 0.48.1)",
        ),
        ("acmestats", "0.3.1", None, None, None, F, "from the repository acme"),
        ("cli", "3.6.1", None, None, None, F, None),
        ("ggplot2", "3.4.4", None, None, None, F, None),
        # a repository whose URL serves CRAN (Posit Package Manager)
        ("jsonlite", "1.8.7", None, None, None, F, None),
        (
            "tidyexp",
            None,
            None,
            None,
            None,
            F,
            "GitHub package acme/tidyexp at 5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b "
            "(package version 0.0.9)",
        ),
    ]
    # R itself (R.Version) is not a package
    assert errors(inv) == [("analysis/renv.lock", None, "package 'renv' has no version")]
    assert [p.purl for p in inv.packages if p.name == "cli"] == ["pkg:cran/cli@3.6.1"]


def test_malformed_renv_lock(tmp_path: Path) -> None:
    write(tmp_path, "renv.lock", '{"R": {"Version": "4.3.2"}, "Packages": ["cli"]}')
    inv = scan(tmp_path, RenvLockExtractor())
    assert errors(inv) == [
        ("renv.lock", None, "r/renv-lock: 'Packages' is an array, not an object")
    ]
