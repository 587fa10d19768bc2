"""The demo Attio is a sibling package: it imports nothing from `connector`, its modules import each other in
one direction only, and its test-only parts are neither served by `make run` nor shipped in the image."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from attio_demo import DEMO_TOKEN, create_demo_app
from attio_demo.testing import PLANTED_TOKEN
from tests.conftest import ROOT

PACKAGE = ROOT / "attio_demo"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The modules of this file's imports (relative ones resolved), outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in
                   ast.unparse(node.test) for stmt in node.body for n in ast.walk(stmt)}
    base = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            anchor = ".".join(base.split(".")[:len(base.split(".")) - node.level + 1]) if node.level else ""
            target = ".".join(p for p in (anchor, node.module or "") if p)
            names = {f"{target}.{a.name}" for a in node.names}
            # `from . import x` imports the submodule x; `from . import NAME` imports the package itself.
            found |= names if all(_exists(n) for n in names) else names | {target}
    return found


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_nothing_in_attio_demo_imports_the_connector() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m.split(".")[0] == "connector")
                 for p in PACKAGE.rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_demo_runs_without_the_connector_loaded() -> None:
    code = ("import sys; from attio_demo import create_demo_app; create_demo_app(testing=True); "
            "import attio_demo.__main__, attio_demo.runner; "
            "print(sorted(m for m in sys.modules if m == 'connector' or m.startswith('connector.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_its_modules_import_each_other_without_a_cycle() -> None:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    seen: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            assert seen.get(nxt) != 1, " -> ".join(trail + [node, nxt])
            if nxt not in seen:
                visit(nxt, trail + [node])
        seen[node] = 2

    for name in sorted(graph):
        if name not in seen:
            visit(name, [])


def test_what_make_run_serves_has_no_test_only_parts() -> None:
    client = create_demo_app().test_client()
    for method, path in (("POST", "/_admin/faults"), ("GET", "/_admin/requests"), ("POST", "/_admin/reset"),
                         ("POST", "/_admin/requests/reset"), ("POST", "/_admin/oauth/revoke-all"),
                         ("GET", "/_admin/oauth/tokens")):
        assert client.open(path, method=method, json={"status": 429}).status_code == 404, path
    assert client.get("/_admin/health").status_code == 200
    planted = client.get("/v2/self", headers={"Authorization": f"Bearer {PLANTED_TOKEN}"}).get_json()
    assert planted == {"active": False}
    assert client.get("/v2/self", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}).get_json()["active"]
    consent = client.get("/authorize", query_string={"client_id": "demo-oauth-client", "response_type": "code",
                                                     "redirect_uri": "http://127.0.0.1:9/oauth/attio/callback"})
    assert consent.status_code == 200 and b"Inbound Leads" not in consent.data
    assert "attio_demo.testing" not in _imports(PACKAGE / "runner.py") | _imports(PACKAGE / "__main__.py")


def test_the_test_build_has_them() -> None:
    client = create_demo_app(testing=True).test_client()
    assert client.post("/_admin/faults", json={"status": 429, "path": "/v2/objects"}).status_code == 200
    planted = client.get("/v2/self", headers={"Authorization": f"Bearer {PLANTED_TOKEN}"}).get_json()
    assert planted["workspace_slug"] == "inbound-leads"


def test_the_image_ships_the_demo_without_its_test_only_parts() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nCOPY attio_demo attio_demo\n" in dockerfile
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    assert "attio_demo/testing/" in ignored
    assert "attio_demo*" in (ROOT / "setup.cfg").read_text()  # the package is installed with the project
