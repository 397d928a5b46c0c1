"""Event sources: eBPF sensor, netlink proc connector, Falco JSON, Kubernetes audit,
JSONL replay. Each yields :class:`hardhull.model.event.Event` values."""
