from packaging.version import Version

from deeptracy.versions.intervals import Interval, VersionSet


def V(text: str) -> Version:
    return Version(text)


def closed_open(lo: str | None, hi: str | None) -> VersionSet:
    return VersionSet.of([Interval(V(lo) if lo else None, True, V(hi) if hi else None, False)])


def test_overlap_and_what_remains_unaffected() -> None:
    declared = closed_open("3.0", "4")
    affected = closed_open(None, "3.2.1")
    assert declared.overlaps(affected)
    remaining = declared.difference(affected)
    assert remaining == closed_open("3.2.1", "4")
    assert remaining.contains(V("3.2.1")) and not remaining.contains(V("3.2.0"))


def test_declared_range_inside_the_affected_range_admits_nothing_unaffected() -> None:
    declared = closed_open("1.0", "1.5")
    affected = closed_open("0.9", "2.0")
    assert declared.difference(affected).is_empty


def test_points_and_exclusive_bounds() -> None:
    assert VersionSet.points([V("1.0")]).difference(VersionSet.points([V("1.0")])).is_empty
    below = VersionSet.of([Interval(None, True, V("1.0"), False)])
    assert not below.overlaps(VersionSet.points([V("1.0")]))
    above = VersionSet.of([Interval(V("1.0"), False, None, False)])
    assert not above.contains(V("1.0")) and above.contains(V("1.0.1"))
    assert Interval(V("2"), True, V("1"), True).is_empty
    assert Interval(V("1"), True, V("1"), False).is_empty


def test_union_merges_abutting_and_overlapping_intervals() -> None:
    merged = closed_open("1", "2").union(closed_open("2", "3")).union(closed_open("2.5", "4"))
    assert merged == closed_open("1", "4")
    gap = closed_open("1", "2").union(closed_open("3", "4"))
    assert len(gap.intervals) == 2 and not gap.contains(V("2.5"))


def test_complement_round_trip() -> None:
    s = closed_open("1", "2").union(VersionSet.points([V("5")]))
    c = s.complement()
    assert not c.overlaps(s)
    assert c.complement() == s
    assert VersionSet.everything().complement().is_empty
    assert VersionSet().complement() == VersionSet.everything()
