"""The sdist's build backend: maturin, once it is clear that Rust is there to build with.

pip falls back to the sdist where no wheel fits the platform. Without Rust, maturin would fetch a
Rust toolchain into a temporary folder (which fails without network access, and otherwise takes
minutes); this says in one line what is missing instead.
"""

from __future__ import annotations

import platform
import shutil
import sys
from collections.abc import Mapping
from typing import Any, Optional

import maturin

Settings = Optional[Mapping[str, Any]]


def _require_rust() -> None:
    if shutil.which("cargo") is None:
        where = f"{platform.system()} {platform.machine()}, {platform.python_implementation()} "
        where += ".".join(platform.python_version_tuple()[:2])
        sys.stderr.write(
            f"paragon-connect: no prebuilt wheel fits this platform ({where}), and building from "
            "source needs Rust, whose cargo is not on PATH: install it from https://rustup.rs\n"
        )
        raise SystemExit(1)


def get_requires_for_build_wheel(config_settings: Settings = None) -> list[str]:
    _require_rust()
    return maturin.get_requires_for_build_wheel(config_settings)


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    _require_rust()
    return maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    _require_rust()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    _require_rust()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)


def get_requires_for_build_sdist(config_settings: Settings = None) -> list[str]:
    _require_rust()
    return maturin.get_requires_for_build_sdist(config_settings)


def build_sdist(sdist_directory: str, config_settings: Settings = None) -> str:
    _require_rust()
    return maturin.build_sdist(sdist_directory, config_settings)
