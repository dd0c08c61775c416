import pytest

from deeptracy.versions import InvalidVersion, scheme_for


def _sorted(ecosystem: str, versions: list[str]) -> list[str]:
    scheme = scheme_for(ecosystem)
    assert scheme is not None
    return sorted(versions, key=scheme.parse)


def test_pep440_order_epochs_pre_post_dev_local() -> None:
    ordered = [
        "1.0.dev0",
        "1.0a1",
        "1.0b2",
        "1.0rc1",
        "1.0",
        "1.0+local.1",
        "1.0.post1",
        "1.1",
        "1!0.1",
    ]
    assert _sorted("PyPI", list(reversed(ordered))) == ordered


def test_pep440_equivalent_spellings_are_equal() -> None:
    scheme = scheme_for("PyPI")
    assert scheme is not None
    assert scheme.compare("1.0", "1.0.0") == 0
    assert scheme.compare("1.0RC1", "1.0rc1") == 0
    assert scheme.compare("v1.0", "1.0") == 0


def test_semver_precedence_from_the_specification() -> None:
    # The exact example chain of semver.org, spec item 11.
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    assert _sorted("crates.io", list(reversed(chain))) == chain


def test_semver_build_metadata_is_ignored() -> None:
    scheme = scheme_for("crates.io")
    assert scheme is not None
    assert scheme.compare("1.0.0+build.1", "1.0.0+other") == 0


@pytest.mark.parametrize("bad", ["", "1.0.0-", "01.0.0", "1.0.0-01", "abc", "1.0.0.0"])
def test_semver_invalid(bad: str) -> None:
    scheme = scheme_for("crates.io")
    assert scheme is not None
    with pytest.raises(InvalidVersion, match="SemVer"):
        scheme.parse(bad)


def test_go_pseudo_versions_and_incompatible() -> None:
    ordered = [
        "v0.0.0-20190101000000-abcdefabcdef",
        "v0.0.0-20200101000000-abcdefabcdef",
        "v0.1.0",
        "v1.0.0-rc.1",
        "v1.0.0",
        "v2.0.0+incompatible",
        "v2.0.1",
    ]
    assert _sorted("Go", list(reversed(ordered))) == ordered
    scheme = scheme_for("Go")
    assert scheme is not None
    assert scheme.compare("1.2.3", "v1.2.3") == 0


def test_invalid_pep440_names_the_version() -> None:
    scheme = scheme_for("PyPI")
    assert scheme is not None
    with pytest.raises(InvalidVersion, match="'not a version' is not a valid PEP 440"):
        scheme.parse("not a version")


def test_unknown_ecosystem_has_no_scheme() -> None:
    assert scheme_for("Nonexistent") is None
    assert scheme_for("Go:stdlib") is scheme_for("Go")


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        (">=3.0,<4", ["3.0", "3.2.1", "3.99"], ["2.9", "4.0", "4.0rc1"]),
        ("~=2.2.1", ["2.2.1", "2.2.9"], ["2.2.0", "2.3"]),
        ("~=2.2", ["2.2", "2.9"], ["2.1", "3.0"]),
        ("==1.2.*", ["1.2", "1.2.7", "1.2.post1"], ["1.1.9", "1.3"]),
        ("!=1.5", ["1.4", "1.5.1"], ["1.5", "1.5.0"]),
        ("==2.0", ["2.0", "2.0.0"], ["2.0.1"]),
        ("<=1.0", ["0.1", "1.0"], ["1.0.1"]),
        (">1.0", ["1.0.1"], ["1.0"]),
        ("", ["0.0.1", "99"], []),
    ],
)
def test_pep440_declared_constraints(spec: str, inside: list[str], outside: list[str]) -> None:
    scheme = scheme_for("PyPI")
    assert scheme is not None
    allowed = scheme.parse_constraint(spec)
    assert [v for v in inside if not allowed.contains(scheme.parse(v))] == []
    assert [v for v in outside if allowed.contains(scheme.parse(v))] == []


def test_pep440_invalid_constraint_and_unsupported_ecosystem() -> None:
    from deeptracy.versions import InvalidConstraint

    pypi, go = scheme_for("PyPI"), scheme_for("Go")
    assert pypi is not None and go is not None
    with pytest.raises(InvalidConstraint, match="neither a valid PEP 440 specifier"):
        pypi.parse_constraint(">>1")
    with pytest.raises(InvalidConstraint, match="not supported for Go"):
        go.parse_constraint(">=1.0")


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        # Poetry's caret keeps the first non-zero part it was given.
        ("^1.2.3", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0", "2.0.0rc1"]),
        ("^0.2.3", ["0.2.3", "0.2.99"], ["0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("^0", ["0.0.1", "0.9"], ["1.0"]),
        # Tilde: patch changes for x.y and x.y.z, minor changes for x.
        ("~1.2.3", ["1.2.3", "1.2.10"], ["1.3.0", "1.2.2"]),
        ("~1.2", ["1.2", "1.2.7"], ["1.3"]),
        ("~1", ["1.0", "1.9"], ["2.0"]),
        ("1.2.*", ["1.2.0", "1.2.5"], ["1.3.0"]),
        ("2.1.0", ["2.1.0"], ["2.1.1"]),
        ("*", ["0.0.1", "99"], []),
        (">=2.0 <3.0", ["2.0", "2.9"], ["3.0"]),
        ("^1.2 || ^3.0", ["1.5", "3.1"], ["2.0", "4.0"]),
    ],
)
def test_poetry_constraints_are_read_when_pep_440_cannot(
    spec: str, inside: list[str], outside: list[str]
) -> None:
    scheme = scheme_for("PyPI")
    assert scheme is not None
    allowed = scheme.parse_constraint(spec)
    assert [v for v in inside if not allowed.contains(scheme.parse(v))] == []
    assert [v for v in outside if allowed.contains(scheme.parse(v))] == []


def test_invalid_poetry_constraint_is_an_error() -> None:
    from deeptracy.versions import InvalidConstraint

    scheme = scheme_for("PyPI")
    assert scheme is not None
    with pytest.raises(InvalidConstraint, match="nor a Poetry constraint"):
        scheme.parse_constraint("^x.y || ^2")
