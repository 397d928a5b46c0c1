#!/bin/sh
# Prepare a Debian 12 machine (as root) for hardhull's demo, tests and benchmarks.
# Idempotent: installs only missing packages, writes containers.conf only if needed.
set -eu

PKGS="podman skopeo mmdebstrap docker-registry runc uidmap golang-go rpm db5.3-util busybox-static \
openjdk-17-jdk-headless rustc cargo binutils zstd openssl chromium \
bpftrace clang llvm libbpf-dev bpftool iproute2 \
python3-venv python3-pip ca-certificates git make curl"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup-host: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# podman in this sandbox: runc and rlimits the sandbox allows.
conf=/etc/containers/containers.conf
if ! grep -q 'runtime = "runc"' "$conf" 2>/dev/null; then
    mkdir -p /etc/containers
    cat > "$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
CONF
fi

# eBPF needs tracefs (runtime issue); harmless when already mounted or not permitted.
if [ ! -e /sys/kernel/tracing/trace_pipe ]; then
    mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi
