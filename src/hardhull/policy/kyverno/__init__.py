"""Kyverno ``kyverno.io/v1`` validate policies: patterns, anchors, conditions, foreach."""

from __future__ import annotations

from hardhull.policy.kyverno.engine import KyvernoPolicy, Rule
from hardhull.policy.kyverno.load import API_VERSIONS, KINDS, compile_policy

__all__ = ["API_VERSIONS", "KINDS", "KyvernoPolicy", "Rule", "compile_policy"]
