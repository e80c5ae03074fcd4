"""Which packages the wheel holds, under which import name: the rest is in pyproject.toml.

The components live in the `components/` folder (the design card's layout) and install under the
import name `IMPORT_NAME`, mapped onto that folder (`package_dir`), every subpackage included
(docs/DESIGN.md, "The package"). `scripts/rename_import.py` sets `IMPORT_NAME` and rewrites every
import of the checkout to it, so one name is ever imported in a process.
"""

from setuptools import find_packages, setup

FOLDER = "components"
IMPORT_NAME = "accessweaver_components"

setup(
    package_dir={IMPORT_NAME: FOLDER},
    # PEP 561: the components' annotations are for the user's type checker too.
    package_data={IMPORT_NAME: ["py.typed"]},
    packages=[
        IMPORT_NAME + found[len(FOLDER) :]
        for found in find_packages(include=[FOLDER, f"{FOLDER}.*"])
    ],
)
