"""Resolving a target spec (built-in name, ``package.module:attr``, ``path/to/file.py:attr``, or a
Python object) to a :class:`~harness.targets.declaration.Target`, in this process."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from harness.errors import TargetLoadError
from harness.targets.declaration import DEFAULT_DECLARATION, Target
from harness.targets.estimators import estimator_fit, is_estimator
from harness.targets.registry import BUILTINS, builtin_available

__all__ = ["load_builtin", "load_target"]


def load_builtin(name: str, *, max_iter: int | None = None) -> Target:
    """The built-in target ``name`` (a key of :data:`~harness.targets.registry.BUILTINS`), with its
    factory's own iteration cap unless ``max_iter`` is given (bench runs the peers with a cap)."""
    ok, reason = builtin_available(name)
    if not ok:
        raise TargetLoadError(reason)
    module, attr = BUILTINS[name].factory.split(":")
    factory = getattr(importlib.import_module(module), attr)
    return factory() if max_iter is None else factory(max_iter=max_iter)


def _import_attr(spec: str):
    where, _, attr = spec.rpartition(":")
    if not where or not attr:
        raise TargetLoadError(
            f"target {spec!r}: expected a built-in name ({', '.join(BUILTINS)}), 'package.module:attr' "
            "or 'path/to/file.py:attr'"
        )
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise TargetLoadError(f"target {spec!r}: file {where!r} does not exist")
        mod_name = "kmeans_harness_target_" + os.path.splitext(os.path.basename(path))[0]
        module_spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise TargetLoadError(f"target {spec!r}: importing {where!r} raised {type(exc).__name__}: {exc}") from exc
    else:
        module = _import_module(spec, where, attr)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TargetLoadError(f"target {spec!r}: {where!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _import_module(spec: str, where: str, attr: str):
    """Import ``where`` as ``python -m`` would: the current folder is searched first, so that
    ``my_kmeans:fit`` works from the folder holding ``my_kmeans.py`` (the ``kmeans-harness`` script's
    own ``sys.path[0]`` is its bin folder, not the current one).  The spawned worker inherits the
    current folder, so it resolves the same module."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        top = where.split(".")[0]
        hint = ""
        if exc.name is not None and (exc.name == where or where.startswith(exc.name + ".")):
            path = os.path.join(*where.split(".")) + ".py"
            hint = (
                f"; no {path!r} in the current folder {cwd!r} either: give the file's path, e.g. "
                f"'./{path}:{attr}' or 'path/to/{os.path.basename(path)}:{attr}', or add its folder to PYTHONPATH"
            )
            if top != where and not os.path.isdir(top):
                hint = hint.replace(f"no {path!r}", f"no package folder {top!r}")
        raise TargetLoadError(f"target {spec!r}: cannot import module {where!r}: {exc}{hint}") from exc
    except Exception as exc:
        raise TargetLoadError(f"target {spec!r}: cannot import module {where!r}: {type(exc).__name__}: {exc}") from exc


def load_target(spec) -> Target:
    """Resolve a spec to a :class:`Target`: a built-in name, ``package.module:attr``,
    ``path/to/file.py:attr``, or an object (a Target, a declared/undeclared function, an estimator
    class or instance)."""
    if isinstance(spec, Target):
        return spec
    if isinstance(spec, str):
        if spec in BUILTINS:
            return load_builtin(spec)
        obj = _import_attr(spec)
        name = spec
    else:
        obj = spec
        name = getattr(spec, "__qualname__", None) or type(spec).__name__
    if isinstance(obj, Target):
        return obj
    declaration = dict(DEFAULT_DECLARATION)
    declaration.update({k: v for k, v in (getattr(obj, "__kmeans_harness__", None) or {}).items() if v is not None})
    name = declaration.pop("name", None) or name
    if is_estimator(obj):
        fit = estimator_fit(obj)
    elif callable(obj):
        fit = obj
    else:
        raise TargetLoadError(f"target {name!r}: {type(obj).__name__} is neither callable nor an estimator")
    return Target(name=name, fit=fit, **declaration)
