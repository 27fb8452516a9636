"""The shape of the code: stages import only earlier stages, nothing imports in a circle, no
module or class grows past what one person can hold in mind, and no label of the format is
spelled twice.

Imports are read from the source (ast), wherever they are written: an import inside a
function counts like one at the top, so hiding an import in a function cannot dodge a cycle
or a stage's direction (a lazy import of a heavy library stays allowed: it imports no stage).
"""

from __future__ import annotations

import ast
import re
import statistics
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "liangshai"

# In pipeline order: a module may import its own stage and earlier ones only.
STAGES = [
    (
        "vocabulary",
        (
            "schema",
            "quarter",
            "numbers",
            "cache",
            "problems",
            "model",
            "settings",
            "digest",
            "parallel",
        ),
    ),
    ("load", ("load",)),
    ("validate", ("validate",)),
    ("assess", ("assess",)),
    ("exports", ("exports",)),
    ("site", ("site",)),
    ("build", ("build",)),
    ("intake", ("intake",)),
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


# ----------------------------------------------------------------------------- sizes

MODULE_LINES, CLASS_LINES, MEDIAN_FUNCTION_LINES = 400, 150, 10


def _sizes():
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        yield module, len(path.read_text(encoding="utf-8").splitlines()), tree


def test_modules_and_classes_stay_small():
    big = []
    for module, lines, tree in _sizes():
        if lines > MODULE_LINES:
            big.append(f"{module}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                n = node.end_lineno - node.lineno + 1
                if n > CLASS_LINES:
                    big.append(f"{module}.{node.name}: {n} lines")
    assert big == []


def test_functions_are_short_on_the_whole():
    lengths = [
        node.end_lineno - node.lineno + 1
        for _, _, tree in _sizes()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert statistics.median(lengths) <= MEDIAN_FUNCTION_LINES


# ----------------------------------------------------------------------------- the format, once


def format_labels() -> set[str]:
    """Every label format.yaml defines: fields, tables, sections, categories, statuses,
    published columns, and the rates of metrics.yaml."""
    from liangshai.assess.metrics import DEFINITIONS
    from liangshai.schema import FORMAT

    def leaves(node):
        return [x for v in node.values() for x in leaves(v)] if isinstance(node, dict) else [node]

    found = set(leaves(FORMAT.labels))
    found |= {c.label for s in FORMAT.sections for c in s.categories}
    found |= {c.short for s in FORMAT.sections for c in s.categories}
    return found | {d.label for d in DEFINITIONS.values()}


def _as_label(text: str) -> str:
    """A piece of text as it would name a label: without the punctuation around it."""
    return text.strip().strip("：:（）()·,，、 ")


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_MARKUP = re.compile(r"[<>\"'=\x00]")  # text between tags, attributes and Jinja expressions


def spelled_labels_in_python() -> list[str]:
    """String constants of the package (or the text of the HTML in them) that are labels."""
    labels, out = format_labels(), []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and any(_as_label(t) in labels for t in _MARKUP.split(text)):
                out.append(f"{module}:{node.lineno}: {text!r}")
    return out


def spelled_labels_in_templates() -> list[str]:
    """Text of the templates (between tags, Jinja expressions and quotes) that is a label."""
    labels, out = format_labels(), []
    for path in sorted((PACKAGE.parents[1] / "theme" / "templates").iterdir()):
        text = path.read_text(encoding="utf-8")
        quoted = [m.group(2) for m in re.finditer(r"(['\"])([^'\"\n]*)\1", text)]
        plain = _MARKUP.split(_JINJA.sub("\x00", text))
        out += [f"{path.name}: {t!r}" for t in quoted + plain if _as_label(t) in labels]
    return out


def test_no_label_of_the_format_is_spelled_again():
    """Labels come from format.yaml (LABELS in templates, FORMAT.label() in Python): a
    label typed again would silently disagree once the format changes."""
    assert spelled_labels_in_python() == []
    assert spelled_labels_in_templates() == []


def test_the_label_guard_sees_what_it_should():
    labels = format_labels()
    assert {"本期结余", "收入", "按时公示", "整改台账", "广告费", "季度公示率"} <= labels
    assert _as_label(" 本期结余：") == "本期结余" and _as_label("本期结余合计") != "本期结余"
