"""The package's import graph: imports go one way (no cycles, counting
imports inside functions), and a function imports only optional heavy
dependencies, never another keras-gan-zoo module."""

import ast
import pathlib

import keras_gan_zoo

PACKAGE = pathlib.Path(keras_gan_zoo.__file__).parent


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """(imported keras_gan_zoo module, inside a function?) for each import."""
    tree = ast.parse(path.read_text())
    in_function = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from keras_gan_zoo import datasets` imports the submodule datasets.
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        for name in names:
            if name.split(".")[0] == "keras_gan_zoo":
                found.append((name, id(node) in in_function))
    return found


def _graph():
    graph, local = {}, []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        edges = set()
        for target, inside in _imports(path):
            if target != name:
                edges.add(target)
            if inside:
                local.append(f"{name} imports {target} inside a function")
        graph[name] = edges
    return graph, local


def test_no_keras_gan_zoo_import_inside_a_function():
    _, local = _graph()
    assert not local, "\n".join(local)


def test_the_import_graph_has_no_cycle():
    graph, _ = _graph()
    # The package __init__ re-exports the public API; modules may import it
    # only from outside the package (the CLI is the one exception: it is the top).
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if target == "keras_gan_zoo" and node == "keras_gan_zoo.cli":
                continue
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state and target in graph:
                visit(target, stack + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_the_suite_runner_puts_every_test_file_in_one_shard_of_balanced_time():
    import backends

    files = sorted(str(p.relative_to(backends.ROOT)) for p in (backends.ROOT / "tests").glob("test_*.py"))
    for backend in backends.BACKENDS:
        groups = backends.shards(files, 3, backend)
        assert sorted(f for group, _ in groups for f in group) == files
        minutes = [m for _, m in groups]
        assert len(groups) == 3 and max(minutes) - min(minutes) <= max(backends.FILE_MINUTES[backend].values())
    assert backends.shards(["tests/test_a.py"], 3, "jax") == [(["tests/test_a.py"], 1.0)]  # a new file: 1 min


def test_the_suite_runner_sums_the_measured_seconds_per_file(tmp_path):
    import json

    import backends

    (tmp_path / "a.json").write_text(json.dumps({"tests/test_x.py": 90.0, "tests/test_y.py": 6.0}))
    (tmp_path / "b.json").write_text(json.dumps({"tests/test_y.py": 600.0}))
    assert backends.minutes_per_file([tmp_path / "a.json", tmp_path / "b.json"]) == {
        "test_y.py": 10.1, "test_x.py": 1.5}
