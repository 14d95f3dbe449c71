"""Reference data of the workbench, shipped inside the wheel as ``workbench.data``.

This folder stays at the top of the repository; pyproject.toml maps it into the package so that
:func:`workbench.reference.data_dir` finds it through ``importlib.resources`` in an editable install and in an
installed wheel alike. What each file holds and where it comes from: README.md beside this file.
"""
