"""The module tables of bridge/README.md, sim/README.md and sim/guest/README.md are maps of the
tree: every Python module of the directory is named in its README's table, and every module a
table names exists."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["bridge", "sim", "sim/guest"])
def test_every_module_is_in_its_readme_table(package):
    readme = (ROOT / package / "README.md").read_text()
    first_cells = "\n".join(line.split("|")[1] for line in readme.splitlines() if line.startswith("| `"))
    named = set(re.findall(r"`([\w/]+\.py)`", first_cells))
    modules = {p.name for p in (ROOT / package).glob("*.py") if p.name != "__init__.py"}
    assert modules - named == set(), f"{package}/README.md does not name {sorted(modules - named)}"
    assert named - modules == set(), f"{package}/README.md names missing modules {sorted(named - modules)}"
