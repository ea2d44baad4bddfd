"""The package under test is the installed one, complete and typed."""

from __future__ import annotations

import importlib.metadata
import pathlib

import loki_metrics
from conftest import ROOT


def test_the_package_under_test_is_installed_not_the_source_tree():
    package_dir = pathlib.Path(loki_metrics.__file__).resolve().parent
    assert package_dir != (ROOT / "python" / "loki_metrics").resolve(), (
        "tests must run against an installed package (pip install . or a wheel), "
        "not the source tree"
    )


def test_the_native_module_is_inside_the_package():
    native = pathlib.Path(loki_metrics._native.__file__)
    assert native.parent == pathlib.Path(loki_metrics.__file__).parent
    assert native.name.startswith("_native.") and ".abi3." in native.name


def test_the_version_is_the_crates_version():
    cargo = (ROOT / "Cargo.toml").read_text()
    assert f'version = "{loki_metrics.__version__}"' in cargo
    assert importlib.metadata.version("loki-metrics") == loki_metrics.__version__


def test_the_distribution_declares_python_3_9_and_the_optional_extras():
    meta = importlib.metadata.metadata("loki-metrics")
    assert meta["Requires-Python"] == ">=3.9"
    assert "prometheus-client" in meta.get_all("Provides-Extra")
    assert "Typing :: Typed" in meta.get_all("Classifier")


def test_py_typed_and_the_stub_are_installed():
    package_dir = pathlib.Path(loki_metrics.__file__).parent
    assert (package_dir / "py.typed").exists()
    assert (package_dir / "_native.pyi").exists()


def test_the_distribution_ships_both_licence_texts():
    # maturin puts the [project] license-files in .dist-info/licenses/ (the
    # sdist's copies are checked by scripts/test-python.sh).
    dist = importlib.metadata.distribution("loki-metrics")
    assert sorted(dist.metadata.get_all("License-File")) == ["LICENSE-APACHE", "LICENSE-MIT"]
    shipped = {pathlib.PurePath(str(f)).name: f for f in dist.files or [] if "licenses" in pathlib.PurePath(str(f)).parts}
    assert sorted(shipped) == ["LICENSE-APACHE", "LICENSE-MIT"]
    for name, f in shipped.items():
        assert pathlib.Path(str(f.locate())).read_text() == (ROOT / name).read_text(), name
    assert "Copyright (c) the loki-metrics developers" in (ROOT / "LICENSE-MIT").read_text()
    assert "Apache License\n" in (ROOT / "LICENSE-APACHE").read_text()
