"""The code's layers point one way (docs/architecture.md), checked on grimp's import graph.

grimp is the graph library under import-linter; it counts imports written inside functions too,
so an import hidden there to dodge a cycle shows up as the cycle it is. `make test` also runs
`lint-imports` with the same layers, read from pyproject.toml.
"""

import tomllib
from pathlib import Path
from unittest import TestCase

import grimp

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = CONFIG["root_packages"]
LAYERS_CONTRACT = next(c for c in CONFIG["contracts"] if c["type"] == "layers")


def layers():
    """The contract's layers, highest first; "a | b" is a layer of independent siblings."""
    return [grimp.Layer(*(part.strip() for part in layer.split("|")), independent=True)
            for layer in LAYERS_CONTRACT["layers"]]  # fmt: skip


def build_graph():
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def package_edges(graph):
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            importer_package, imported_package = module.split(".")[0], imported.split(".")[0]
            if importer_package != imported_package:
                edges.add((importer_package, imported_package))
    return edges


def find_cycle(edges):
    """One cycle among the packages as a list of names, or None."""
    following = {}
    for importer, imported in edges:
        following.setdefault(importer, set()).add(imported)
    done, path = set(), []

    def visit(package):
        if package in path:
            return path[path.index(package) :] + [package]
        if package in done:
            return None
        path.append(package)
        for imported in sorted(following.get(package, ())):
            cycle = visit(imported)
            if cycle:
                return cycle
        path.pop()
        done.add(package)
        return None

    for package in sorted(following):
        cycle = visit(package)
        if cycle:
            return cycle
    return None


class LayerTests(TestCase):
    def test_contract_lists_every_package(self):
        """Every top-level package of the app is in exactly one layer of the contract."""
        in_layers = [name for layer in layers() for name in layer.module_tails]
        assert sorted(in_layers) == sorted(PACKAGES)
        assert "api | datagym_v1 | demo" in LAYERS_CONTRACT["layers"]

    def test_no_cycle_between_packages(self):
        """No top-level package imports, directly or by a chain, one that imports it back."""
        assert find_cycle(package_edges(build_graph())) is None

    def test_no_lower_layer_imports_a_higher_one(self):
        """No module imports from a layer above its own, nor from a sibling interface."""
        assert build_graph().find_illegal_dependencies_for_layers(layers()) == set()

    def test_an_upward_import_is_caught(self):
        """An import from projects up to exports breaks the layers and makes a cycle."""
        graph = build_graph()
        graph.add_import(importer="projects.models", imported="exports.models", line_number=1, line_contents="x")
        illegal = graph.find_illegal_dependencies_for_layers(layers())
        assert {(d.importer, d.imported) for d in illegal} == {("projects", "exports")}
        assert find_cycle(package_edges(graph)) is not None

    def test_background_jobs_sit_between_formats_and_projects(self):
        """The job framework is below every app with jobs and above the pure code; it imports no app."""
        order = [layer.strip() for layer in LAYERS_CONTRACT["layers"]]
        assert order.index("projects") + 1 == order.index("background") == order.index("formats") - 1
        graph = build_graph()
        graph.add_import(importer="background.sweeping", imported="exports.models", line_number=1, line_contents="x")
        illegal = graph.find_illegal_dependencies_for_layers(layers())
        assert {(d.importer, d.imported) for d in illegal} == {("background", "exports")}

    def test_siblings_are_independent(self):
        """The REST API and the DataGym v1 API may not import each other."""
        graph = build_graph()
        graph.add_import(importer="datagym_v1.views", imported="api.errors", line_number=1, line_contents="x")
        illegal = graph.find_illegal_dependencies_for_layers(layers())
        assert {(d.importer, d.imported) for d in illegal} == {("datagym_v1", "api")}

    def test_find_cycle_sees_a_cycle(self):
        assert find_cycle({("a", "b"), ("b", "c"), ("c", "a")}) == ["a", "b", "c", "a"]
        assert find_cycle({("a", "b"), ("b", "c")}) is None
