"""ComposerCataloger on Composer 1 and Composer 2 ``vendor/composer/installed.json``."""

from __future__ import annotations

from pathlib import Path

from tests.unit.catalog_lang.langkit import FIXTURES, catalog_dir, write_files

from hardhull.catalog.composer import ComposerCataloger, composer_purl
from hardhull.model import PackageType

V2 = "/var/www/html/vendor"


def test_composer2_packages_dev_flag_and_v_prefix() -> None:
    res = catalog_dir(ComposerCataloger(), FIXTURES / "composer" / "v2")
    by = {p.name: p for p in res.packages}
    assert {(p.name, p.version, p.purl) for p in res.packages} == {
        ("monolog/monolog", "3.5.0", "pkg:composer/monolog/monolog@3.5.0"),
        ("phpunit/phpunit", "10.5.9", "pkg:composer/phpunit/phpunit@10.5.9"),
        ("psr/log", "3.0.0", "pkg:composer/psr/log@3.0.0"),
        ("symfony/console", "v6.4.3", "pkg:composer/symfony/console@v6.4.3"),
    }
    assert by["phpunit/phpunit"].meta("dev") == "true"
    assert by["psr/log"].meta("dev") is None
    assert by["symfony/console"].meta("version_normalized") == "6.4.3.0"
    assert by["phpunit/phpunit"].licenses == ("BSD-3-Clause",)
    assert all(p.type is PackageType.COMPOSER for p in res.packages)
    assert res.package_databases == (f"{V2}/composer/installed.json",)
    assert res.identified_files == frozenset({f"{V2}/bin/phpunit", f"{V2}/phpunit/phpunit/phpunit"})
    assert res.gaps == ()


def test_composer1_array_form() -> None:
    res = catalog_dir(ComposerCataloger(), FIXTURES / "composer" / "v1")
    assert {(p.name, p.version, p.licenses) for p in res.packages} == {
        ("guzzlehttp/guzzle", "6.5.5", ("MIT",)),
        ("twig/twig", "v2.16.0", ("BSD-3-Clause",)),
    }
    assert all(
        [loc.path for loc in p.locations] == ["/srv/legacy/vendor/composer/installed.json"]
        for p in res.packages
    )


def test_bad_documents(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a/vendor/composer/installed.json": "{{",
            "b/vendor/composer/installed.json": '{"packages": 5}',
            "c/vendor/composer/installed.json": (
                '[{"name": "x/y"}, 7, {"name": "a/b", "version": "1"}]'
            ),
        },
    )
    res = catalog_dir(ComposerCataloger(), tmp_path)
    assert [(p.name, p.version) for p in res.packages] == [("a/b", "1")]
    assert sorted(g.subject for g in res.gaps) == [
        "/a/vendor/composer/installed.json",
        "/b/vendor/composer/installed.json",
    ]


def test_purl_without_vendor() -> None:
    assert composer_purl("lonely", "1.0") == "pkg:composer/lonely@1.0"
