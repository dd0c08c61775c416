"""mix.lock: the dependencies Mix locked for an Elixir project, read as data (terms.py).

`{:hex, :name, "version", ...}` entries are Hex packages (the second element is the package
name, which the lock key may alias); a repository other than "hexpm" (a private
organization or a self-hosted repository) is kept with a note. `{:git, url, revision, opts}`
entries are not releases: no version, a note with the repository and revision. mix.lock does
not say which dependencies are direct (mix.exs does, but it is code and is never run).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from deeptracy.ecosystems import HEX
from deeptracy.inventory.extractors.elixir.terms import Atom, Map, Term, parse_term
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package


def _text(term: Term) -> str | None:
    if isinstance(term, Atom):
        return term.name
    return term if isinstance(term, str) else None


class MixLockExtractor(Extractor):
    name = "elixir/mix-lock"
    ecosystem = HEX
    filenames: ClassVar[frozenset[str]] = frozenset({"mix.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        lock = parse_term(file.text())
        if not isinstance(lock, Map):
            raise ExtractError("the file is not a map (%{...})")
        for key, value, line in lock.entries:
            name = _text(key) or "?"
            here = (Location(file.path, line),)
            if not isinstance(value, tuple) or not value or not isinstance(value[0], Atom):
                file.warn(f"entry {name!r} is not a {{:source, ...}} tuple", line=line)
                continue
            source = value[0].name
            if source == "hex" and len(value) >= 3:
                package, version = _text(value[1]), _text(value[2])
                if not package or not version or isinstance(value[2], Atom):
                    file.warn(f"entry {name!r} has no package name or version", line=line)
                    continue
                repo = _text(value[6]) if len(value) > 6 else "hexpm"
                note = None if repo in (None, "hexpm") else f"from the Hex repository {repo!r}"
                yield Package(HEX, package, version, locations=here, note=note)
            elif source == "git" and len(value) >= 3:
                url, revision = _text(value[1]) or "?", _text(value[2]) or "?"
                note = f"git {url} at {revision}"
                options = value[3] if len(value) > 3 and isinstance(value[3], list) else []
                for option in options:
                    if isinstance(option, tuple) and len(option) == 2:
                        label, ref = _text(option[0]), _text(option[1])
                        if label in ("branch", "tag", "ref") and ref:
                            note += f" ({label} {ref})"
                yield Package(HEX, name, locations=here, note=note)
            else:
                file.warn(f"entry {name!r} has an unknown source :{source}", line=line)
