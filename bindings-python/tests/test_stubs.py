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
    tree = ast.parse(STUB.read_text())
    classes: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods: dict[str, Any] = {}
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods.setdefault(item.name, item)  # the first overload is enough
            classes[node.name] = methods
    return classes


def stub_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str, Any]]:
    """(name, kind, default) of every parameter but self, as inspect would report them."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults: list[Any] = [inspect.Parameter.empty] * (len(positional) - len(args.defaults))
    defaults += [ast.literal_eval(default) for default in args.defaults]
    parameters = [
        (arg.arg, "POSITIONAL", default)
        for arg, default in zip(positional, defaults)
        if arg.arg != "self"
    ]
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        parameters.append((arg.arg, "KEYWORD_ONLY", value))
    return parameters


def runtime_parameters(signature: inspect.Signature) -> list[tuple[str, str, Any]]:
    return [
        (
            parameter.name,
            "KEYWORD_ONLY" if parameter.kind is parameter.KEYWORD_ONLY else "POSITIONAL",
            parameter.default,
        )
        for parameter in signature.parameters.values()
        if parameter.name != "self"
    ]


def test_every_public_name_is_in_the_stub_and_back() -> None:
    classes = stub_classes()
    runtime = {name for name in dir(_native) if not name.startswith("_")}
    assert runtime == set(classes) | set(stub_functions()), "names differ from _native.pyi"
    for name, methods in classes.items():
        cls = getattr(_native, name)
        public = {m for m in vars(cls) if not m.startswith("_")}
        stubbed = {m for m in methods if not m.startswith("_")}
        assert public == stubbed, f"{name}: methods differ"


def test_signatures_match() -> None:
    for name, methods in stub_classes().items():
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
    classes = stub_classes()
    for method, stub in classes["AsyncParagon"].items():
        runtime = getattr(_native.AsyncParagon, method)
        # user() binds a client and stream() opens an `async with` block: neither is awaited.
        if method.startswith("_") or method in ("user", "stream"):
            continue
        if callable(runtime) and not isinstance(runtime, property):
            assert isinstance(stub, ast.AsyncFunctionDef), method
    for method, stub in classes["Paragon"].items():
        assert isinstance(stub, ast.FunctionDef), method


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
