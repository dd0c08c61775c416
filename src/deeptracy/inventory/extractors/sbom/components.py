"""What SBOM readers share: a component's purl made into a Package, and skipped components
summed up in one warning per reason instead of one per component."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from deeptracy.ecosystems import PurlError, parse_purl
from deeptracy.inventory.interface import ScanFile
from deeptracy.inventory.model import Location, Package, Scope

_SHOWN = 5


@dataclass
class Skipped:
    """Components left out, by reason, reported as one warning each."""

    reasons: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, reason: str, label: str) -> None:
        self.reasons[reason].append(label)

    def report(self, file: ScanFile) -> None:
        for reason, labels in sorted(self.reasons.items()):
            shown = ", ".join(labels[:_SHOWN])
            more = f" and {len(labels) - _SHOWN} more" if len(labels) > _SHOWN else ""
            file.warn(f"{len(labels)} component(s) skipped, {reason}: {shown}{more}")


def package_from_purl(
    purl: str,
    fallback_version: str | None,
    *,
    direct: bool | None,
    scope: Scope | None,
    location: Location,
    skipped: Skipped,
    label: str,
) -> Package | None:
    """The package a component's purl names; its version from the purl, else the component's."""
    try:
        parts = parse_purl(purl)
    except PurlError as exc:
        reason = str(exc)
        if reason.startswith("unsupported purl type"):
            reason = f"purl type {reason.split(chr(39))[1]!r} has no OSV ecosystem DeepTracy reads"
        else:
            reason = "unreadable purl"
        skipped.add(reason, label)
        return None
    return Package(
        parts.ecosystem,
        parts.name,
        parts.version or fallback_version,
        direct=direct,
        scope=scope,
        locations=(location,),
    )
