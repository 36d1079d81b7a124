"""Imports run one way: base <- geometry/models/captions <- data <- pipeline <- capabilities <- front ends.

Every import in `mesa/`, `ui/` and `app.py` (also those inside functions) is read with `ast`; a
package may import its own modules and packages of a lower rank, never a higher or equal one.
Nothing in the product imports the bundled model's recipe (`recipes/`) or test code (`tests/`).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# rank: packages (a higher rank may import a lower one)
RANKS = {
    0: ["mesa", "mesa.errors", "mesa.resources", "mesa.naming"],
    1: ["mesa.atomic", "mesa.limits", "mesa.validation", "mesa.terrain", "mesa.prompts", "mesa.devices"],
    2: ["mesa.geometry", "mesa.models", "mesa.captions"],
    3: ["mesa.data"],
    4: ["mesa.pipeline"],
    5: ["mesa.preview", "mesa.finishing"],
    6: ["mesa.export"],
    7: ["mesa.world", "mesa.control", "mesa.evaluation", "mesa.training"],
    8: ["mesa.cli", "ui"],
    9: ["mesa.__main__", "app"],
}
RANK_OF = {package: rank for rank, packages in RANKS.items() for package in packages}
FORBIDDEN = ("recipes", "tests", "benchmarks")


def product_files() -> list[Path]:
    return sorted([*ROOT.joinpath("mesa").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py"), ROOT / "app.py"])


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str | None:
    """The ranked package a module belongs to (longest matching prefix), or None."""
    if module == "mesa":  # the package's own __init__ (it imports nothing eagerly)
        return "mesa"
    matches = [p for p in RANK_OF if p != "mesa" and (module == p or module.startswith(p + "."))]
    return max(matches, key=len) if matches else None


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return found


def test_every_product_module_has_a_rank():
    unranked = [module_name(p) for p in product_files() if package_of(module_name(p)) is None]
    assert not unranked, f"add these to RANKS in tests/test_layering.py: {unranked}"


def violations(module: str, imports: list[str]) -> list[str]:
    """The imports of `module` that go upwards, sideways or into recipes/tests."""
    source = package_of(module)
    bad = []
    for target in imports:
        top = target.split(".")[0]
        if top in FORBIDDEN:
            bad.append(f"{target} (the product never imports {top}/)")
            continue
        if top not in ("mesa", "ui", "app") or target == "mesa":
            continue
        package = package_of(target)
        if package is None or package == source:
            continue
        if RANK_OF[package] >= RANK_OF[source]:
            bad.append(f"{target} (rank {RANK_OF[package]} >= {source}'s {RANK_OF[source]})")
    return bad


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path):
    bad = violations(module_name(path), imports_of(path))
    assert not bad, f"{path.relative_to(ROOT)} imports upwards or sideways: {bad}"


def test_the_checker_catches_upward_sideways_and_recipe_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nfrom mesa.geometry import hillshade\n"
                     "def late():\n    from mesa.export.exporter import export_terrain\n"
                     "    import recipes.mesa_tiny.recipe\n    from mesa.preview import contact_sheet\n")
    found = violations("mesa.pipeline.probe", [name for name in _imports_of_file(probe)])
    assert [v.split(" ")[0] for v in found] == ["mesa.export.exporter", "mesa.export.exporter.export_terrain",
                                                 "recipes.mesa_tiny.recipe", "mesa.preview",
                                                 "mesa.preview.contact_sheet"]


def _imports_of_file(path: Path) -> list[str]:
    """Absolute imports of a file outside the repository (the probe)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names
