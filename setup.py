"""Packages for the wheel: mesa and its subpackages, the ui package, and the top-level assets/
folder installed as `mesa/assets` (found at run time by `mesa.resources`). The rest of the
metadata is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["mesa", "mesa.*", "ui"]), "mesa.assets"],
    package_dir={"mesa.assets": "assets"},
    package_data={"mesa.assets": ["**/*"]},
)
