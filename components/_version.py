"""The version of the components: the one place it is written.

`pyproject.toml` reads it (`[tool.setuptools.dynamic]`), the component package's schema
(`package/__main__.py`) and the offline plan's first line show it; `CHANGELOG.md` says what each
version changed and which changes are breaking. Renaming the import package moves this file with
it and changes one line of `pyproject.toml`.
"""

__version__ = "0.2.0"
