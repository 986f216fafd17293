"""One way to find extensions of every kind: built-ins in code, entry points on top.

Each extension point (renderers, ruleset readers, exporters, flow-log readers) owns one
:class:`Registry`: a table of its built-in plugins, written in code as ``module:attribute``
strings so a checkout run with ``PYTHONPATH=src`` or a vendored copy finds them without any
package metadata, plus the entry-point group through which an installed package adds more.
Nothing is imported until a plugin is asked for by name, so a look-up never pays for the
renderers.

Two plugins claiming one name is an error, not a silent override: a user could not tell which
of them wrote the firewall. Our own package also lists its built-ins as entry points (so other
tools can discover them); an entry point that names the very object a built-in names is the
same plugin, not a clash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Generic, TypeVar

from portmatrix.errors import LookupFailure, PluginError
from portmatrix.suggest import close_matches, hint

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PluginRef:
    """Where a plugin lives, before it is imported: ``package.module:Attribute``."""

    name: str
    value: str
    origin: str  # "built-in" or the distribution that installed the entry point

    def load(self) -> Any:
        module_name, _, attribute = self.value.partition(":")
        module = import_module(module_name)
        target: Any = module
        for part in filter(None, attribute.split(".")):
            target = getattr(target, part)
        return target


def _installed(group: str) -> list[PluginRef]:
    """Entry points of ``group``; imported here because importlib.metadata costs ~30 ms."""
    from importlib.metadata import entry_points

    refs = []
    for point in entry_points(group=group):
        dist = getattr(point, "dist", None)
        origin = getattr(dist, "name", None) or "an installed package"
        refs.append(PluginRef(point.name, point.value, str(origin)))
    return refs


@dataclass
class Registry(Generic[T]):
    """The plugins of one kind: ``kind`` names it in messages, ``group`` is its entry-point group.

    ``accepts`` is the typed Protocol check (``isinstance(obj, Renderer)`` with a name match); a
    loaded object that fails it is refused with a message saying what the kind needs.
    """

    kind: str
    group: str
    builtins: Mapping[str, str]
    accepts: Callable[[Any, str], bool]
    needs: str  # what a plugin of this kind must have, for the refusal message
    discover: Callable[[str], list[PluginRef]] = _installed
    _refs: dict[str, PluginRef] | None = field(default=None, repr=False)
    _loaded: dict[str, T] = field(default_factory=dict, repr=False)

    def refs(self) -> dict[str, PluginRef]:
        """Every known name -> where it lives, refusing two different plugins for one name."""
        if self._refs is None:
            found = {
                name: PluginRef(name, value, "built-in") for name, value in self.builtins.items()
            }
            for ref in self.discover(self.group):
                known = found.get(ref.name)
                if known is not None and known.value != ref.value:
                    raise PluginError(
                        f"two {self.kind}s claim the name {ref.name!r}: {known.value} "
                        f"({known.origin}) and {ref.value} ({ref.origin}); uninstall one of them"
                    )
                found.setdefault(ref.name, ref)
            self._refs = dict(sorted(found.items()))
        return self._refs

    def names(self) -> list[str]:
        return list(self.refs())

    def resolve_name(self, name: str) -> str:
        """The registered name for ``name`` (case-insensitive), or a LookupFailure with hints."""
        refs = self.refs()
        if name in refs:
            return name
        folded = {known.casefold(): known for known in refs}
        if name.casefold() in folded:
            return folded[name.casefold()]
        close = close_matches(name, refs)
        known = ", ".join(refs) or "none"
        raise LookupFailure(
            f"no {self.kind} {name!r}{hint(close)} (known: {known})", candidates=close
        )

    def load(self, name: str) -> T:
        """The plugin called ``name``, imported and checked against the kind's Protocol."""
        name = self.resolve_name(name)
        if name in self._loaded:
            return self._loaded[name]
        ref = self.refs()[name]
        try:
            factory = ref.load()
        except (ImportError, AttributeError) as exc:
            raise PluginError(
                f"{self.kind} {name!r} ({ref.value}, {ref.origin}) cannot be loaded: {exc}"
            ) from exc
        refusal = PluginError(
            f"{self.kind} {name!r} ({ref.value}, {ref.origin}) is not a portmatrix {self.kind} "
            f"(needs {self.needs})"
        )
        try:
            plugin = factory() if isinstance(factory, type) else factory
        except TypeError as exc:
            raise refusal from exc
        if not self.accepts(plugin, name):
            raise refusal
        self._loaded[name] = plugin
        return self._loaded[name]

    def load_all(self) -> list[T]:
        return [self.load(name) for name in self.names()]

    def reset(self) -> None:
        """Forget what was found and loaded (tests that install fake entry points use this)."""
        self._refs = None
        self._loaded.clear()


def protocol_check(protocol: type) -> Callable[[Any, str], bool]:
    """The usual ``accepts``: an instance of the runtime-checkable Protocol named as registered."""

    def accepts(plugin: Any, name: str) -> bool:
        return isinstance(plugin, protocol) and getattr(plugin, "name", None) == name

    return accepts
