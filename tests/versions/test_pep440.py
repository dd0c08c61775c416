"""PyPI: PEP 440 keys agree with `packaging`'s order, and specifier sets with
`SpecifierSet.contains(v, prereleases=True)` (packaging >= 26.2), over generated versions and
specifiers. `===` is left out of the generated specifiers: it compares strings, a documented
deviation (see pep440's docstring)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.versions.helpers import assert_admits, scheme

PYPI = scheme("PyPI")

_small = st.integers(min_value=0, max_value=3)
_release = st.lists(_small, min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts)))
_pre = st.sampled_from(["", "a0", "a1", "b2", "rc1", "c1"])
_post = st.sampled_from(["", ".post0", ".post1", ".post3", "-2"])
_dev = st.sampled_from(["", ".dev0", ".dev1"])
_local = st.sampled_from(["", "", "+abc", "+1", "+abc.2", "+ubuntu.1"])
_epoch = st.sampled_from(["", "", "", "1!"])


@st.composite
def versions(draw: st.DrawFn, *, local: bool = True, suffixes: bool = True) -> str:
    text = draw(_epoch) + draw(_release)
    if suffixes:
        text += draw(_pre) + draw(_post) + draw(_dev)
    if local:
        text += draw(_local)
    return text


@st.composite
def specifiers(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "==*", "!=*"]))
    if op.endswith("*"):
        return f"{op[:2]}{draw(versions(local=False, suffixes=False))}.*"
    if op == "~=":
        epoch, release = draw(_epoch), draw(_release)
        if "." not in release:
            release += ".0"
        return f"~={epoch}{release}{draw(_pre)}{draw(_post)}{draw(_dev)}"
    return op + draw(versions(local=op in ("==", "!=")))


@settings(max_examples=600, deadline=None)
@given(versions(), versions())
def test_order_agrees_with_packaging(left: str, right: str) -> None:
    a, b = Version(left), Version(right)
    expected = (a > b) - (a < b)
    assert PYPI.compare(left, right) == expected
    assert (PYPI.parse(left) == PYPI.parse(right)) == (a == b)


@settings(max_examples=1500, deadline=None)
@given(st.lists(specifiers(), min_size=1, max_size=3).map(",".join), versions())
def test_specifier_sets_agree_with_packaging(spec: str, candidate: str) -> None:
    expected = SpecifierSet(spec).contains(Version(candidate), prereleases=True)
    assert PYPI.parse_constraint(spec).contains(PYPI.parse(candidate)) == expected


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        # == ignores the candidate's local label unless the specifier has one.
        ("==1.0", ["1.0", "1.0.0", "1.0+local.7"], ["1.0.post1", "1.0a1"]),
        ("==1.0+local", ["1.0+local"], ["1.0", "1.0+other"]),
        ("!=1.0", ["1.0.1", "1.0.post1"], ["1.0", "1.0+local"]),
        ("<=1.0", ["1.0", "1.0+local", "0.9"], ["1.0.post1", "1.0.1"]),
        # <V never admits V's own pre-releases (unless V is one).
        ("<1.0", ["0.9", "0.9.post1", "0.9.dev0"], ["1.0a1", "1.0.dev0"]),
        ("<1.0.post2", ["1.0", "1.0a1", "1.0.post1", "1.0+local"], ["1.0.post2.dev0"]),
        ("<1.0rc1", ["1.0a1", "1.0.dev0"], ["1.0rc1"]),
        ("<0", [], ["0", "0.dev0", "0a1"]),
        # >V never admits V's post-releases (unless V is one) or V's local versions.
        (">1.0", ["1.0.1", "1.1a1"], ["1.0", "1.0.post1", "1.0+local", "1.0.post1.dev0"]),
        (">1.0.post1", ["1.0.post2", "1.0.post2+local"], ["1.0.post1", "1.0.post1+local"]),
        (">1.0a1", ["1.0a2", "1.0a2+local", "1.0"], ["1.0a1+local", "1.0a1.post1"]),
        (">1.0.dev1", ["1.0.dev2", "1.0a1"], ["1.0.dev1", "1.0.dev1+local"]),
        # Wildcards and compatible release keep the epoch.
        ("==1!1.2.*", ["1!1.2", "1!1.2.9", "1!1.2a1"], ["1.2", "1!1.3"]),
        ("~=1!2.2", ["1!2.2", "1!2.9"], ["1!3.0", "2.5"]),
        ("~=2.2.post3", ["2.2.post3", "2.9"], ["2.2", "3.0"]),
        ("===1.0", ["1.0"], ["1.0.1"]),
        ("===foobar", [], ["1.0"]),
    ],
)
def test_pep440_operator_rules(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("PyPI", spec, inside, outside)
