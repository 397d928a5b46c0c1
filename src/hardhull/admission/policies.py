"""The policies an admission configuration asks for: built-ins plus loaded files.

Files are read with :func:`hardhull.policy.loader.load_policies` when that module is
available; until then naming policy files is an error (built-ins still work).
Fatal load errors stop the server from starting with file and line in the message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from hardhull.admission.config import AdmissionConfig, ConfigError
from hardhull.policy.base import LoadError, Policy
from hardhull.policy.builtin import builtin_policies

_Loader = Callable[[Sequence[Path]], tuple[Sequence[Policy], Sequence[LoadError]]]


def _loader() -> _Loader | None:
    try:
        module: Any = importlib.import_module("hardhull.policy.loader")
    except ImportError:
        return None
    fn = getattr(module, "load_policies", None)
    return cast(_Loader, fn) if callable(fn) else None


def load_admission_policies(config: AdmissionConfig) -> tuple[list[Policy], list[LoadError]]:
    """Built-ins first, then every policy from ``config.policy_paths``.

    Returns the policies and the non-fatal load errors (warnings); raises
    :class:`ConfigError` on fatal ones."""
    policies: list[Policy] = list(
        builtin_policies(
            pss=config.pss,
            pss_version=config.pss_version,
            allowed_registries=config.allowed_registries,
            require_digest=config.require_digest,
        )
    )
    if not config.policy_paths:
        return policies, []
    load = _loader()
    if load is None:
        raise ConfigError(
            "policy files are configured but this build has no policy loader",
            hint="use the builtin policies only",
        )
    loaded, errors = load(list(config.policy_paths))
    fatal = [e for e in errors if e.fatal]
    if fatal:
        lines = "; ".join(f"{e.pos}: {e.message}" for e in fatal[:10])
        more = f" (and {len(fatal) - 10} more)" if len(fatal) > 10 else ""
        raise ConfigError(f"policies failed to load: {lines}{more}")
    policies.extend(loaded)
    return policies, [e for e in errors if not e.fatal]
