"""Deterministic Lambda packages: the same sources always give the same bytes and hash."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from shared.layers import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"
BUILD_DIR = REPO_ROOT / "build" / "lambda"
# Zip entries carry a timestamp; pinning it (and the mode) is what makes the bytes repeatable.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_INCLUDED_SUFFIXES = (".py", ".json")


@dataclass(frozen=True)
class Package:
    path: Path
    sha256_base64: str
    files: tuple[str, ...]


def package_bytes(source_dir: Path) -> tuple[bytes, tuple[str, ...]]:
    """Zip the source files of `source_dir`, sorted, without caches or local clutter."""
    files = sorted(
        path
        for path in source_dir.rglob("*")
        if path.is_file()
        and path.suffix in _INCLUDED_SUFFIXES
        and "__pycache__" not in path.relative_to(source_dir).parts
    )
    if not any(p.name == "handler.py" for p in files):
        raise FileNotFoundError(f"{source_dir} has no handler.py to package")
    buffer = io.BytesIO()
    names = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            name = path.relative_to(source_dir).as_posix()
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            names.append(name)
    return buffer.getvalue(), tuple(names)


def build_package(function: str, build_dir: Path = BUILD_DIR) -> Package:
    """Write functions/<function> as build/lambda/<function>.zip, rewriting it only on change."""
    data, names = package_bytes(FUNCTIONS_DIR / function)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    target = build_dir / f"{function}.zip"
    if not target.exists() or target.read_bytes() != data:
        build_dir.mkdir(parents=True, exist_ok=True)
        staging = target.with_suffix(f".{os.getpid()}.tmp")
        staging.write_bytes(data)
        staging.replace(target)  # atomic, so a concurrent reader never sees half a zip
    return Package(target, digest, names)
