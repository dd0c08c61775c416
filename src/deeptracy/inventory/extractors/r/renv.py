"""renv.lock: the R packages renv recorded for a project.

`Packages` entries with `Source: Repository` from CRAN (or a CRAN mirror such as Posit
Package Manager) are CRAN packages; GitHub, GitLab, Bioconductor, URL and local packages are
not CRAN releases: no version, a note with their source. R itself (`R.Version`) is not a
package. renv.lock does not say which packages are direct.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from deeptracy.ecosystems import CRAN
from deeptracy.inventory.extractors.shapes import as_object, kind_of, opt_array, opt_object, opt_str
from deeptracy.inventory.interface import Extractor, ScanFile
from deeptracy.inventory.model import Location, Package

# Repository names and URL fragments that serve CRAN itself.
_CRAN_NAMES = frozenset({"CRAN", "RSPM", "PPM", "P3M", "CRAN-RSPM"})
_CRAN_URLS = ("cran.r-project.org", "cloud.r-project.org", "/cran", "cran.rstudio.com")


def _cran_repositories(data: dict[str, Any]) -> set[str]:
    names = set(_CRAN_NAMES)
    for repo in opt_array(opt_object(data.get("R")).get("Repositories")):
        name, url = opt_str(opt_object(repo).get("Name")), opt_str(opt_object(repo).get("URL"))
        if name and url and any(marker in url.lower() for marker in _CRAN_URLS):
            names.add(name)
    return names


class RenvLockExtractor(Extractor):
    name = "r/renv-lock"
    ecosystem = CRAN
    filenames: ClassVar[frozenset[str]] = frozenset({"renv.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(file.json(), "the document")
        packages = as_object(data.get("Packages") or {}, "'Packages'")
        cran = _cran_repositories(data)
        for key, entry in packages.items():
            if not isinstance(entry, dict):
                file.warn(f"package {key!r} is {kind_of(entry)}, not an object")
                continue
            name = opt_str(entry.get("Package")) or key
            version = opt_str(entry.get("Version"))
            if version is None:
                file.warn(f"package {name!r} has no version")
                continue
            source = opt_str(entry.get("Source")) or "?"
            repository = opt_str(entry.get("Repository"))
            note = None
            if source == "CRAN" or (source == "Repository" and repository in cran):
                pass
            elif source == "Repository":
                note = f"from the repository {repository or '?'}"
            else:
                remote = "/".join(
                    part
                    for part in (opt_str(entry.get(k)) for k in ("RemoteUsername", "RemoteRepo"))
                    if part
                )
                sha = opt_str(entry.get("RemoteSha"))
                note = f"{source} package" + (f" {remote}" if remote else "")
                note += (f" at {sha}" if sha else "") + f" (package version {version})"
                version = None
            yield Package(CRAN, name, version, locations=(Location(file.path),), note=note)
