"""The policies an admission configuration asks for: built-ins plus loaded files.

Files are read with :func:`hardhull.policy.loader.load_policies` (Kyverno, VAP, Kyverno
ValidatingPolicy). Fatal load errors stop the server from starting with file and line in
the message.
"""

from __future__ import annotations

from hardhull.admission.config import AdmissionConfig, ConfigError
from hardhull.policy.base import LoadError, Policy
from hardhull.policy.builtin import builtin_policies
from hardhull.policy.loader import is_parameter_object, load_policies, read_paths
from hardhull.policy.vulngate import VulnGateError


def load_admission_policies(config: AdmissionConfig) -> tuple[list[Policy], list[LoadError]]:
    """Built-ins first, then every policy from ``config.policy_paths``.

    Returns the policies and the non-fatal load errors (warnings); raises
    :class:`ConfigError` on fatal ones (and when the vulnerability gate's reports
    directory cannot be read)."""
    try:
        builtins = builtin_policies(
            pss=config.pss,
            pss_version=config.pss_version,
            allowed_registries=config.allowed_registries,
            require_digest=config.require_digest,
            vuln_gate=config.vuln_gate,
        )
    except VulnGateError as exc:
        raise ConfigError(f"builtin.vulnerability_gate: {exc.message}") from None
    policies: list[Policy] = list(builtins)
    if not config.policy_paths:
        return policies, []
    param_docs, param_errors = read_paths([str(p) for p in config.param_paths])
    params = [d.obj for d in param_docs if is_parameter_object(d.obj)]
    loaded = load_policies([str(p) for p in config.policy_paths], params)
    errors = (*param_errors, *loaded.errors)
    fatal = [e for e in errors if e.fatal]
    if fatal:
        lines = "; ".join(f"{e.pos}: {e.message}" for e in fatal[:10])
        more = f" (and {len(fatal) - 10} more)" if len(fatal) > 10 else ""
        raise ConfigError(f"policies failed to load: {lines}{more}")
    policies.extend(loaded.policies)
    return policies, [e for e in errors if not e.fatal]
