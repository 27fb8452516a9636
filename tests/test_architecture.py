"""The shape of the code: stages import only earlier stages, and nothing imports in a circle.

Imports are read from the source (ast), wherever they are written: an import inside a
function counts like one at the top, so hiding an import in a function cannot dodge a cycle
or a stage's direction (a lazy import of a heavy library stays allowed: it imports no stage).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "liangshai"

# In pipeline order: a module may import its own stage and earlier ones only.
STAGES = [
    ("vocabulary", ("schema", "quarter", "problems", "model", "settings", "digest", "parallel")),
    ("load", ("load",)),
    ("validate", ("validate",)),
    ("assess", ("assess",)),
    ("exports", ("exports",)),
    ("site", ("site",)),
    ("build", ("build",)),
    ("demo", ("demo",)),
    ("commands", ("commands",)),
    ("plugin", ("__init__",)),  # register(): what Pelican calls
]


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name from the package ('load.files', '__init__')."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def stage_of(module: str) -> int:
    head = module.split(".")[0]
    for i, (_, members) in enumerate(STAGES):
        if head in members:
            return i
    raise AssertionError(f"{module} belongs to no stage: add it to STAGES")


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `module` imports, anywhere in it."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module == "__init__":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
            elif node.module and node.module.split(".")[0] == "liangshai":
                base = []
            else:
                continue
            named = node.module or ""
            if not node.level:
                named = named.removeprefix("liangshai").lstrip(".")
            target = ".".join([*base, *([named] if named else [])])
            for alias in node.names:  # `from . import files` imports the module files
                sub = f"{target}.{alias.name}" if target else alias.name
                found.add(sub if sub in known else target or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("liangshai."):
                    found.add(alias.name.removeprefix("liangshai."))
    return {m for m in found if m in known and m != module}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports_of(m, p, set(mods)) for m, p in mods.items()}


def test_every_module_belongs_to_a_stage():
    for module in modules():
        stage_of(module)


def test_no_module_imports_a_later_stage():
    wrong = [
        f"{a} ({STAGES[stage_of(a)][0]}) imports {b} ({STAGES[stage_of(b)][0]})"
        for a, targets in graph().items()
        for b in sorted(targets)
        if stage_of(b) > stage_of(a)
    ]
    assert wrong == []


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cycles.append(" → ".join([*path[path.index(n) :], n]))
            elif n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_checker_sees_hidden_and_relative_imports(tmp_path):
    """The reader of imports itself: a function-level import and `from . import x` count."""
    source = tmp_path / "m.py"
    source.write_text(
        "from . import files\nfrom ..site.views import x\n"
        "def f():\n    from ..build.atomic import build_site\n",
        encoding="utf-8",
    )
    known = {"load.files", "site.views", "build.atomic", "load.m"}
    assert imports_of("load.m", source, known) == {"load.files", "site.views", "build.atomic"}
