"""The package's shape: data flows one way (no import cycle anywhere inside ``cosmotransfer``, imports
inside functions included) and no module reaches into another's private names."""
from __future__ import annotations

import ast
from pathlib import Path

import cosmotransfer

ROOT = Path(cosmotransfer.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = ("cosmotransfer",) + p.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts).removesuffix(".__init__")] = p
    return out


def _imports():
    """(module, imported module, imported name or None) for every import of the package."""
    mods = _modules()
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        aliases = {}
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in mods:
                        aliases[a.asname or a.name] = sub
                        yield m, sub, None
                    elif target in mods:
                        yield m, target, a.name
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods:
                        yield m, a.name, None
        for node in ast.walk(ast.parse(p.read_text())):  # module._private through an imported module
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                yield m, aliases[node.value.id], node.attr


def test_no_import_cycle():
    graph: dict[str, set[str]] = {}
    for m, target, _ in _imports():
        if target != m:
            graph.setdefault(m, set()).add(target)

    def reaches(start, goal, seen):
        for nxt in graph.get(start, ()):
            if nxt == goal:
                return [start, goal]
            if nxt not in seen:
                seen.add(nxt)
                if path := reaches(nxt, goal, seen):
                    return [start] + path
        return None

    cycles = [path for m in graph if (path := reaches(m, m, set()))]
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_no_private_name_from_another_module():
    used = {(m, target, name) for m, target, name in _imports()
            if name and name.startswith("_") and not name.startswith("__") and target != m}
    assert not used, f"private names used across modules: {sorted(used)}"
