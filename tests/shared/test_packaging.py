"""The Lambda package is byte-stable, so an unchanged handler never shows a diff."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from shared.packaging import FUNCTIONS_DIR, build_package, package_bytes


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    (root / "pkg" / "logic.py").write_text("X = 1\n")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00junk")
    (root / "notes.txt").write_text("not shipped")
    return root


def test_same_sources_give_identical_bytes(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    first, names = package_bytes(root)
    (root / "handler.py").touch()  # a new mtime must not change the package
    second, _ = package_bytes(root)
    assert first == second
    assert names == ("handler.py", "pkg/logic.py")


def test_a_source_change_changes_the_bytes(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src")
    before, _ = package_bytes(root)
    (root / "pkg" / "logic.py").write_text("X = 2\n")
    assert package_bytes(root)[0] != before


def test_package_without_handler_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("")
    with pytest.raises(FileNotFoundError, match=r"no handler\.py"):
        package_bytes(tmp_path)


def test_built_package_is_the_functions_sources(tmp_path: Path) -> None:
    package = build_package("data_processor", tmp_path)
    again = build_package("data_processor", tmp_path)
    assert package.sha256_base64 == again.sha256_base64
    with zipfile.ZipFile(io.BytesIO(package.path.read_bytes())) as archive:
        for name in archive.namelist():
            assert archive.read(name) == (FUNCTIONS_DIR / "data_processor" / name).read_bytes()
        assert "handler.py" in archive.namelist()
        assert not any("__pycache__" in n for n in archive.namelist())
