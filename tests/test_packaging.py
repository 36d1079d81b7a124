"""`pip install .` gives a working package: mesa with its assets, ui, app and the console script."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_assets_the_ui_and_the_console_script(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                             "-w", str(tmp_path), "-q"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    [wheel] = tmp_path.glob("mesa_studio-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    for expected in ("mesa/assets/vocab/landforms.json", "mesa/assets/models/mesa-tiny/model_index.json",
                     "mesa/assets/models/mesa-tiny/unet/diffusion_pytorch_model.safetensors",
                     "mesa/resources.py", "mesa/cli/generate.py", "ui/layout.py", "app.py"):
        assert expected in names, expected
    assert not any(n.startswith(("recipes/", "tests/", "benchmarks/")) for n in names)
    assert "mesa-studio = app:main" in entry_points


def test_installed_layout_finds_assets_inside_the_package(tmp_path):
    """Unpacked like site-packages: mesa.resources must find mesa/assets, not a repository folder."""
    site = tmp_path / "site"
    (site / "mesa" / "assets" / "vocab").mkdir(parents=True)
    for name in ("__init__.py", "resources.py"):
        (site / "mesa" / name).write_text((ROOT / "mesa" / name).read_text())
    (site / "mesa" / "assets" / "vocab" / "marker.json").write_text("{}")
    code = "from mesa.resources import asset_path; print(asset_path('vocab', 'marker.json').is_file())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
