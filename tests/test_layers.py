"""The layers hold: dependencies point one way, and each process loads only what it runs.

``docs/architecture.md`` draws the layers; this test reads every module's
imports (at the top and inside functions) and fails when one goes against them:

* ``booth/ledger`` imports nothing of the rest of booth;
* the core imports no pygame, gpiozero or picamera2 (only ``booth/ui`` and the
  real drivers in ``booth/hardware`` do);
* code that runs on the appliance imports nothing of the simulator
  (``booth_sim``): only the simulator's own commands and developer tools do;
* no module takes a private name (``_name``) from another module;
* no import circles in the core, the ledger, the hardware layer, the kiosk or the simulator.

And at run time: the kiosk's client loads neither the core nor the ledger; the
ledger service loads no display, GPIO or camera library.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARDWARE_LIBRARIES = {"pygame", "gpiozero", "picamera2", "lgpio"}

#: Modules that exist to run the simulator or to build documentation, and so may import booth_sim.
SIMULATOR_SIDE = {
    "booth.sim_cli": "the `booth sim` command runs a simulated day",
    "booth.demo": "`booth demo` is a simulated day",
}
#: Appliance-side modules that reach the documentation tools (booth_dev), and why.
REACHING_THE_DEVELOPER_TOOLS = {
    "booth.cli": "`booth screens` and `booth guidebook` run booth_dev's gallery and guidebook",
    "booth.sim_cli": "`booth sim --screens` drives the kiosk through the gallery's hands",
}
#: Packages whose circles are not yet untied: none (the kiosk's screens and the recap are untied).
CIRCLES_NOT_YET_CHECKED: tuple[str, ...] = ()


@dataclass
class Module:
    name: str
    path: Path
    imports: set[str] = field(default_factory=set)  # every module name imported, anywhere in the file
    private: list[tuple[int, str]] = field(default_factory=list)  # (line, "module._name") taken from elsewhere


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT / "hw-sim") if path.is_relative_to(ROOT / "hw-sim") else path.relative_to(ROOT)
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Module]:
    found = {}
    sources = [
        *(ROOT / "booth").rglob("*.py"),
        *(ROOT / "hw-sim" / "booth_sim").rglob("*.py"),
        *(ROOT / "hw-sim" / "booth_dev").rglob("*.py"),
    ]
    for path in sorted(sources):
        module = Module(_module_name(path), path)
        package = module.name if path.name == "__init__.py" else module.name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                module.imports.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                module.imports.add(base)
                for alias in node.names:
                    module.imports.add(f"{base}.{alias.name}")
                    if alias.name.startswith("_") and alias.name != "_" and not alias.name.startswith("__"):
                        module.private.append((node.lineno, f"{base}.{alias.name}"))
        found[module.name] = module
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def test_the_ledger_imports_nothing_of_the_rest_of_booth():
    for m in modules().values():
        if m.name == "booth.ledger" or m.name.startswith("booth.ledger."):
            outside = {i for i in m.imports if _top(i) == "booth" and not i.startswith("booth.ledger")}
            assert not outside, f"{m.name} imports {sorted(outside)}"


def test_the_core_imports_no_display_gpio_or_camera_library():
    for m in modules().values():
        if _top(m.name) != "booth" or m.name.startswith(("booth.ui", "booth.hardware")):
            continue
        libraries = {i for i in m.imports if _top(i) in HARDWARE_LIBRARIES}
        assert not libraries, f"{m.name} imports {sorted(libraries)}"


def test_code_that_runs_on_the_appliance_imports_nothing_of_the_simulator():
    for m in modules().values():
        if _top(m.name) != "booth" or m.name in SIMULATOR_SIDE:
            continue
        simulated = {i for i in m.imports if _top(i) == "booth_sim"}
        assert not simulated, f"{m.name} imports {sorted(simulated)}"
    for name in SIMULATOR_SIDE:
        assert name in modules(), f"{name} is listed here but does not exist"


def test_code_that_runs_on_the_appliance_imports_no_developer_tool():
    for m in modules().values():
        if _top(m.name) != "booth" or m.name in REACHING_THE_DEVELOPER_TOOLS:
            continue
        tools = {i for i in m.imports if _top(i) == "booth_dev"}
        assert not tools, f"{m.name} imports {sorted(tools)}"
    for name in REACHING_THE_DEVELOPER_TOOLS:
        assert any(_top(i) == "booth_dev" for i in modules()[name].imports), f"{name} no longer needs booth_dev"


def test_the_simulated_devices_know_nothing_of_the_simulated_day():
    """hw-sim holds two rooms: the devices (what the appliance's code drives) and the day that uses them."""
    devices = [
        m
        for m in modules().values()
        if _top(m.name) == "booth_sim" and m.name != "booth_sim" and not m.name.startswith("booth_sim.day")
    ]
    assert devices, "no simulated device modules found"
    for m in devices:
        harness = {i for i in m.imports if i.startswith("booth_sim.day")}
        assert not harness, f"{m.name} imports {sorted(harness)}"


def test_no_module_takes_a_private_name_from_another():
    taken = [
        f"{m.name}:{line} takes {what}"
        for m in modules().values()
        for line, what in m.private
        if what.rpartition(".")[0] != m.name
    ]
    assert taken == []


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return circles


def test_no_import_circles():
    known = modules()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    checked = {n for n in known if not n.startswith(CIRCLES_NOT_YET_CHECKED)}
    graph = {n: {r for i in known[n].imports if (r := resolve(i)) in checked and r != n} for n in checked}
    assert _circles(graph) == []


def _loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'hw-sim'}", "PATH": "/usr/bin:/bin"},
    )
    return set(run.stdout.split())


def test_the_kiosks_client_loads_neither_the_core_nor_the_ledger():
    loaded = _loaded_by("import booth.api.client, booth.api.protocol")
    assert {m for m in loaded if m.startswith(("booth.ledger", "booth.service", "booth.election_package"))} == set()


def test_the_ledger_service_loads_no_display_gpio_or_camera_library():
    loaded = _loaded_by("import booth.api.start, booth.api.server, booth.service, booth.ledger.verify")
    assert {m for m in loaded if _top(m) in HARDWARE_LIBRARIES | {"booth_sim", "booth_dev"}} == set()
    assert not any(m.startswith("booth.ui") for m in loaded)


def test_the_architecture_page_names_only_modules_that_exist_and_every_room_of_the_core():
    import re

    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in set(re.findall(r"`((?:booth|hw-sim)/[\w/.-]+)`", doc)):
        assert (ROOT / path.rstrip("/")).exists(), f"docs/architecture.md names {path}, which does not exist"
    for room in (ROOT / "booth" / "service").glob("*.py"):
        if room.name != "__init__.py":
            assert f"`{room.name}`" in doc, f"docs/architecture.md does not place booth/service/{room.name}"


#: The trust path: what decides whether a ballot, a log, a package or a voter list is good.
TRUST_PATH = (
    "booth/ledger",
    "booth/election_package",
    "booth/dpt.py",
    "booth/service",
    "booth/day.py",
    "booth/api/wire.py",
    "booth/api/schema.py",
    "booth/strict_json.py",
)


def test_no_function_on_the_trust_path_is_over_80_lines():
    long = []
    for entry in TRUST_PATH:
        target = ROOT / entry
        for path in [target] if target.is_file() else sorted(target.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > 80:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == [], "split these into steps, each a function with a name from the day"
