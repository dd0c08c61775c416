"""The registry names every OSV ecosystem with a scheme; warm queries are fast."""

from __future__ import annotations

import random
import time

import pytest

from deeptracy.versions import (
    InvalidConstraint,
    InvalidVersion,
    scheme_for,
    supported_ecosystems,
)

ALL = {
    "PyPI", "npm", "crates.io", "Go", "Maven", "NuGet", "RubyGems", "Packagist", "Pub", "Hex",
    "SwiftURL", "ConanCenter", "CRAN",
}  # fmt: skip
RANGES = ALL - {"Go", "SwiftURL", "ConanCenter", "CRAN"}


def test_registry_covers_the_osv_ecosystems() -> None:
    assert supported_ecosystems() == ALL
    for name in ALL:
        scheme = scheme_for(name)
        assert scheme is not None and scheme.name == name
    assert scheme_for("Maven:https://repo1.maven.org/maven2/") is scheme_for("Maven")
    assert scheme_for("GitHub Actions") is None


def test_is_valid_and_compare() -> None:
    maven = scheme_for("Maven")
    assert maven is not None
    assert maven.is_valid("1.0-SNAPSHOT") and not maven.is_valid("")
    assert maven.compare("1.0-SNAPSHOT", "1.0") == -1
    assert maven.compare("1.0", "1.0.0") == 0


@pytest.mark.parametrize("ecosystem", sorted(ALL))
def test_oversized_or_non_string_input_is_refused_with_the_documented_errors(
    ecosystem: str,
) -> None:
    scheme = scheme_for(ecosystem)
    assert scheme is not None
    # Numbers this long would also exceed Python's int() digit limit if they reached it.
    with pytest.raises(InvalidVersion, match=f"not a valid {ecosystem} version: it is longer"):
        scheme.parse("1" * 5000)
    refusal = "longer than 4096" if ecosystem in RANGES else "ranges are not supported"
    with pytest.raises(InvalidConstraint, match=refusal):
        scheme.parse_constraint("1" * 5000)
    with pytest.raises(InvalidVersion, match="None is not a version string"):
        scheme.parse(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ecosystem", "constraint", "version"),
    [
        ("PyPI", ">=1.2,<20", "{}.{}.{}rc1"),
        ("npm", "^3.1.0 || >=10 <20", "{}.{}.{}-beta.1"),
        ("Maven", "[1.0,2.0),[5.0,)", "{}.{}.{}-SNAPSHOT"),
        ("NuGet", "[1.0,20.0)", "{}.{}.{}.1"),
        ("RubyGems", "~> 5.2, >= 5.2.3", "{}.{}.{}.rc1"),
        ("Packagist", "^5.1 || ~7.2", "{}.{}.{}-RC2"),
    ],
)
def test_ten_thousand_warm_queries_take_well_under_half_a_second(
    ecosystem: str, constraint: str, version: str
) -> None:
    scheme = scheme_for(ecosystem)
    assert scheme is not None
    rng = random.Random(7)
    texts = [version.format(*(rng.randint(0, 25) for _ in range(3))) for _ in range(10_000)]
    allowed = scheme.parse_constraint(constraint)
    for text in texts:
        scheme.parse(text)  # warm the cache, as a scan does on its first pass
    start = time.perf_counter()
    admitted = sum(allowed.contains(scheme.parse(text)) for text in texts)
    elapsed = time.perf_counter() - start
    assert 0 < admitted < len(texts)
    assert elapsed < 0.5
