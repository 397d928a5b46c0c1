"""CEL policies: Kubernetes ValidatingAdmissionPolicy (+ bindings) and Kyverno's CEL
ValidatingPolicy, on Google's C++ CEL (``cel-expr-python``)."""

from __future__ import annotations

from hardhull.policy.cel.loader import is_cel_document, load_cel_documents

__all__ = ["is_cel_document", "load_cel_documents"]
