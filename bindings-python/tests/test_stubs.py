"""The type stubs (_native.pyi) match the compiled module, so they cannot drift from it."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import paragon_connect
from paragon_connect import _native

STUB = Path(paragon_connect.__file__).with_name("_native.pyi")
PACKAGE = Path(paragon_connect.__file__).parent


def stub_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(STUB.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def stub_classes() -> dict[str, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Each stub class's methods, its stub base classes' included (their own first)."""
    tree = ast.parse(STUB.read_text())
    classes: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods: dict[str, Any] = {}
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods.setdefault(item.name, item)  # the first overload is enough
            for base in node.bases:
                name = base.value if isinstance(base, ast.Subscript) else base
                if isinstance(name, ast.Name) and name.id in classes:
                    for method, item in classes[name.id].items():
                        methods.setdefault(method, item)
            classes[node.name] = methods
    return classes


def stub_base_arguments(cls: str) -> list[str]:
    """The type arguments a stub class gives its generic base, as source text."""
    tree = ast.parse(STUB.read_text())
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    base = node.bases[0]
    assert isinstance(base, ast.Subscript) and isinstance(base.slice, ast.Tuple)
    return [ast.unparse(element) for element in base.slice.elts]


def typed_dicts() -> dict[str, list[str]]:
    """The fields of each TypedDict in the stub, its bases' first."""
    fields: dict[str, list[str]] = {}
    for node in ast.parse(STUB.read_text()).body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
        if "TypedDict" in bases or any(base in fields for base in bases):
            own = [
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            ]
            fields[node.name] = [f for base in bases for f in fields.get(base, [])] + own
    return fields


def stub_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str, Any]]:
    """(name, kind, default) of every parameter but self, as inspect would report them; the
    fields of `**options: Unpack[SomeOptions]` count as keyword-only parameters defaulting to
    None. Keyword-only parameters are sorted by name (their order does not matter to a caller)."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults: list[Any] = [inspect.Parameter.empty] * (len(positional) - len(args.defaults))
    defaults += [ast.literal_eval(default) for default in args.defaults]
    parameters = [
        (arg.arg, "POSITIONAL", default)
        for arg, default in zip(positional, defaults)
        if arg.arg != "self"
    ]
    keywords = []
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        keywords.append((arg.arg, "KEYWORD_ONLY", value))
    annotation = args.kwarg.annotation if args.kwarg else None
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Name):
        for field in typed_dicts()[annotation.slice.id]:
            keywords.append((field, "KEYWORD_ONLY", None))
    return parameters + sorted(keywords)


def runtime_parameters(signature: inspect.Signature) -> list[tuple[str, str, Any]]:
    """As `stub_parameters`, from the compiled function's signature."""
    parameters = [
        (
            parameter.name,
            "KEYWORD_ONLY" if parameter.kind is parameter.KEYWORD_ONLY else "POSITIONAL",
            parameter.default,
        )
        for parameter in signature.parameters.values()
        if parameter.name != "self"
    ]
    positional = [parameter for parameter in parameters if parameter[1] == "POSITIONAL"]
    return positional + sorted(
        parameter for parameter in parameters if parameter[1] != "POSITIONAL"
    )


def test_every_public_name_is_in_the_stub_and_back() -> None:
    classes = stub_classes()
    runtime = {name for name in dir(_native) if not name.startswith("_")}
    public_classes = {name for name in classes if not name.startswith("_")}
    assert runtime == public_classes | set(stub_functions()), "names differ from _native.pyi"
    for name, methods in classes.items():
        if name not in public_classes:
            continue
        cls = getattr(_native, name)
        public = {m for m in vars(cls) if not m.startswith("_")}
        stubbed = {m for m in methods if not m.startswith("_")}
        assert public == stubbed, f"{name}: methods differ"


def test_signatures_match() -> None:
    for name, methods in stub_classes().items():
        if name.startswith("_"):
            continue
        cls = getattr(_native, name)
        if "__init__" in methods:
            assert runtime_parameters(inspect.signature(cls)) == stub_parameters(
                methods["__init__"]
            )
        for method, stub in methods.items():
            runtime = getattr(cls, method)
            if method.startswith("__") or isinstance(runtime, property) or not callable(runtime):
                continue
            if not hasattr(runtime, "__text_signature__"):
                continue
            assert runtime_parameters(inspect.signature(runtime)) == stub_parameters(stub), (
                f"{name}.{method}"
            )
    for name, stub in stub_functions().items():
        function = getattr(_native, name)
        assert runtime_parameters(inspect.signature(function)) == stub_parameters(stub), name


def test_async_methods_are_async_in_the_stub() -> None:
    """AsyncParagon's calls are coroutines in the stub, Paragon's give their values, and at
    runtime AsyncParagon's are awaitable."""
    sync, asynchronous = stub_base_arguments("Paragon"), stub_base_arguments("AsyncParagon")
    for given, awaited in zip(sync, asynchronous):
        # stream() opens an `async with` block; paginate() gives an async iterator.
        if "StreamContext" in awaited or awaited == "AsyncPages":
            continue
        assert awaited == f"Coroutine[Any, Any, {given}]", (given, awaited)
    for name, stub in stub_classes()["AsyncParagon"].items():
        if name in ("__aenter__", "__aexit__"):
            assert isinstance(stub, ast.AsyncFunctionDef), name
    for name, stub in stub_classes()["Paragon"].items():
        assert isinstance(stub, ast.FunctionDef), name


def test_mypy_strict_accepts_the_package_and_its_use() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            str(PACKAGE),
            str(Path(__file__).with_name("typing_check.py")),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
