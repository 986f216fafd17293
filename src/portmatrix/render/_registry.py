"""Finding renderers: the ``portmatrix.renderers`` entry-point group, loaded lazily.

Built-in targets register through the same group a third-party package uses (see
``pyproject.toml``), so there is one path for both. Nothing is imported until a target is asked
for by name. Two entry points claiming one name is an error, not a silent override: the user
could not tell which one wrote their firewall.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from portmatrix.errors import LookupFailure, RenderError
from portmatrix.render._protocol import Renderer

ENTRY_POINT_GROUP = "portmatrix.renderers"


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def available() -> dict[str, EntryPoint]:
    """Every registered target name -> its entry point, refusing duplicates."""
    found: dict[str, EntryPoint] = {}
    for point in _entry_points():
        known = found.get(point.name)
        if known is not None and known.value != point.value:
            raise RenderError(
                f"two renderers claim the target {point.name!r}: {known.value} and {point.value}; "
                "uninstall one of the packages that provide them"
            )
        found[point.name] = point
    return dict(sorted(found.items()))


def load(name: str) -> Renderer:
    """The renderer for ``name``, imported now and checked against the Protocol."""
    targets = available()
    point = targets.get(name)
    if point is None:
        raise LookupFailure(f"no render target {name!r}; known targets: {', '.join(targets)}")
    try:
        factory = point.load()
    except (ImportError, AttributeError) as exc:
        raise RenderError(
            f"render target {name!r} ({point.value}) cannot be loaded: {exc}"
        ) from exc
    not_a_renderer = RenderError(
        f"render target {name!r} ({point.value}) is not a portmatrix renderer "
        "(needs name, suffix, description, capabilities, render() and count())"
    )
    try:
        renderer = factory() if isinstance(factory, type) else factory
    except TypeError as exc:
        raise not_a_renderer from exc
    if not isinstance(renderer, Renderer) or renderer.name != name:
        raise not_a_renderer
    return renderer


def load_all() -> list[Renderer]:
    return [load(name) for name in available()]
