"""Finds the WSGI app a command line names: `module:attr`, `module:factory()`, `module`
(its `application` or `app`), or, with only `--django-settings`, Django's own WSGI app; and the
object holding the WebSocket callbacks (`--websocket`)."""

import importlib
import os
import sys


class AppLoadError(Exception):
    """The app could not be imported or is not a WSGI callable."""


def enter(chdir=None):
    """Change to `chdir` and, like `python -m`, make the current directory importable (so
    `myapp:app` works from a project)."""
    if chdir:
        os.chdir(chdir)
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def load_app(spec, django_settings=None, chdir=None):
    enter(chdir)
    if django_settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = django_settings
    if not spec:
        if not django_settings:
            raise AppLoadError("no app given: expected MODULE:APP (or --django-settings)")
        try:
            from django.core.wsgi import get_wsgi_application
        except ImportError as err:
            raise AppLoadError(f"--django-settings needs Django: {err}") from err
        return get_wsgi_application()

    module_name, _, attr = spec.partition(":")
    if not module_name:
        raise AppLoadError(f"expected MODULE:APP, got {spec!r}")
    module = _import(module_name)

    call = attr.endswith("()")
    if call:
        attr = attr[:-2]
    names = [attr] if attr else ["application", "app"]
    for name in names:
        obj = module
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        if call:
            obj = obj()
        if not callable(obj):
            raise AppLoadError(f"{module_name}:{name} is not callable (a WSGI app is)")
        return obj
    raise AppLoadError(f"module {module_name!r} has no {' or '.join(names)}")


def _import(module_name):
    try:
        return importlib.import_module(module_name)
    except ImportError as err:
        if getattr(err, "name", None) and module_name.startswith(err.name or "\0"):
            raise AppLoadError(f"cannot import {module_name!r}: {err}") from err
        raise  # an import inside the app failed: show the app's own traceback


def load_websocket(spec):
    """The object with the WebSocket callbacks: `module:obj`, `module:Factory()` (called once per
    worker) or `module` (its own functions). Call after load_app (which applies --chdir)."""
    from .websocket import has_callbacks

    module_name, _, attr = spec.partition(":")
    if not module_name:
        raise AppLoadError(f"expected MODULE or MODULE:OBJ for --websocket, got {spec!r}")
    obj = _import(module_name)
    call = attr.endswith("()")
    if call:
        attr = attr[:-2]
    try:
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
    except AttributeError:
        raise AppLoadError(f"module {module_name!r} has no {attr}") from None
    if call:
        obj = obj()
    if not has_callbacks(obj):
        raise AppLoadError(f"{spec} has none of on_open, on_message, on_close")
    return obj
