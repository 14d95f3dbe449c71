"""Only the package list lives here; everything else is in pyproject.toml.

The packages are every package under workbench/ (found, so a new subpackage needs no edit) plus the top-level
data/ folder and its subfolders shipped as ``workbench.data`` ([tool.setuptools.package-dir] in pyproject.toml
maps it; its package-data glob takes every file). A pyproject-only ``packages.find`` cannot add a package that
lives outside workbench/.
"""

from setuptools import find_namespace_packages, setup

CODE = find_namespace_packages(include=["workbench", "workbench.*"], exclude=["*.__pycache__"])
DATA = [
    "workbench.data",
    *(f"workbench.data.{p}" for p in find_namespace_packages(where="data", exclude=["*__pycache__"])),
]

setup(packages=[*CODE, *DATA])
