"""Pod-spec lookup and the container walk shared by the HH-K8S checks."""

from __future__ import annotations

from hardhull.model import Resource, ResourceRef
from hardhull.posture.checks.podspec import containers, pod_template

CRONJOB = {
    "kind": "CronJob",
    "metadata": {"name": "nightly", "namespace": "ops"},
    "spec": {
        "jobTemplate": {
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "nightly"}},
                    "spec": {
                        "initContainers": [{"name": "setup"}],
                        "containers": [{"name": "main"}, "junk", {}],
                        "ephemeralContainers": [{"name": "debug"}],
                    },
                }
            }
        }
    },
}


def test_container_walk_sections_order_paths_and_labels() -> None:
    tpl = pod_template(Resource(ResourceRef("CronJob", "nightly", "ops"), CRONJOB))
    assert tpl is not None and tpl.batch
    assert tpl.path == "spec.jobTemplate.spec.template.spec"
    assert tpl.metadata == {"labels": {"app": "nightly"}}
    base = tpl.path
    assert [(c.label, c.path) for c in containers(tpl, ephemeral=True)] == [
        ('container "main"', f"{base}.containers[0]"),
        ('container "#2"', f"{base}.containers[2]"),
        ('initContainer "setup"', f"{base}.initContainers[0]"),
        ('ephemeralContainer "debug"', f"{base}.ephemeralContainers[0]"),
    ]
    assert [c.name for c in containers(tpl)] == ["main", "#2", "setup"]
    assert [c.name for c in containers(tpl, init=False)] == ["main", "#2"]


def test_pod_template_absent_for_other_kinds_and_missing_spec() -> None:
    assert pod_template(Resource(ResourceRef("Service", "s"), {"kind": "Service"})) is None
    assert pod_template(Resource(ResourceRef("Deployment", "d"), {"spec": []})) is None
