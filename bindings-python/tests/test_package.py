"""What ships beside the code: the licence text in the wheel and sdist is the repository's."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def test_the_packaged_licence_is_the_repositorys() -> None:
    assert (PACKAGE / "LICENSE").read_text() == (PACKAGE.parent / "LICENSE").read_text()
    assert 'license-files = ["LICENSE"]' in (PACKAGE / "pyproject.toml").read_text()
