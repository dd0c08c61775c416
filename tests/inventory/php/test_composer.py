"""composer.lock: packages and packages-dev, branch and path packages, direct from
composer.json."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.php.composer import ComposerLockExtractor

DATA = Path(__file__).parent / "data"


def test_composer_lock_with_its_manifest() -> None:
    inv = scan(DATA, ComposerLockExtractor())
    src = [("shop/composer.lock", None)]
    assert rows(inv, "shop/composer.lock") == [
        (
            "acme/payments-sdk",
            None,
            None,
            True,
            None,
            src,
            "development version dev-main at 5e1c9a7b3d2f4e6a8c0b1d3f5a7c9e1b3d5f7a9c",
        ),
        (
            "acme/shared",
            None,
            None,
            True,
            None,
            src,
            "local path ../packages/shared (version 1.2.0)",
        ),
        # composer.json spells it Guzzlehttp/Guzzle: Packagist names ignore case
        ("guzzlehttp/guzzle", "7.8.0", None, True, None, src, None),
        (
            "monolog/monolog",
            None,
            None,
            False,
            None,
            src,
            "development version 2.x-dev at c915e2634718dbc8a4a15c61b0e62e7a44e14448",
        ),
        ("phpunit/phpunit", "10.4.2", None, True, "dev", src, None),
        ("sebastian/diff", "5.0.3", None, False, "dev", src, None),
        # the release is named v5.4.20 on Packagist; kept as written
        ("symfony/http-kernel", "v5.4.20", None, True, None, src, None),
        ("symfony/polyfill-mbstring", "v1.28.0", None, False, None, src, None),
    ]
    purls = {p.name: p.purl for p in inv.packages}
    assert purls["symfony/http-kernel"] == "pkg:composer/symfony/http-kernel@v5.4.20"


def test_lockfile_alone_and_bad_entries() -> None:
    inv = scan(DATA, ComposerLockExtractor())
    assert rows(inv, "lockonly/composer.lock") == [
        (
            "laravel/framework",
            "v10.30.1",
            None,
            None,
            None,
            [("lockonly/composer.lock", None)],
            None,
        )
    ]
    assert errors(inv) == [
        ("lockonly/composer.lock", None, "packages[1] has no name or version"),
        ("lockonly/composer.lock", None, "packages[2] is a string, not an object"),
    ]


def test_malformed_composer_files(tmp_path: Path) -> None:
    write(tmp_path, "truncated/composer.lock", '{"packages": [{"name": "a/b", "vers')
    write(tmp_path, "other/composer.lock", '{"name": "not a lock"}')
    write(tmp_path, "list/composer.lock", "[]")
    write(tmp_path, "badjson/composer.lock", '{"packages": [{"name": "a/b", "version": "1.0"}]}')
    write(tmp_path, "badjson/composer.json", "{oops")
    inv = scan(tmp_path, ComposerLockExtractor())
    assert rows(inv) == [("a/b", "1.0", None, None, None, [("badjson/composer.lock", None)], None)]
    assert errors(inv) == [
        (
            "badjson/composer.lock",
            None,
            "composer.json beside it is not valid JSON (Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)); direct dependencies unknown",
        ),
        ("list/composer.lock", None, "php/composer-lock: the document is an array, not an object"),
        (
            "other/composer.lock",
            None,
            "php/composer-lock: no 'packages' array: not a composer.lock",
        ),
        (
            "truncated/composer.lock",
            None,
            "php/composer-lock: invalid JSON at line 1 column 31: Unterminated string starting at",
        ),
    ]
