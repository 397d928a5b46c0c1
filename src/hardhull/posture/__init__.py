"""Configuration posture: Kubernetes manifests and live clusters, Dockerfiles."""
