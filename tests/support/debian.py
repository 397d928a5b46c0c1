"""Real Debian 12 roots and images, built once and cached for tests, the demo and benches.

A root filesystem is made by ``mmdebstrap`` straight into a tarball, from the same apt
mirror the machine uses. An image is ``FROM scratch`` + ``ADD rootfs.tar /`` plus extra
Containerfile steps, built by ``podman build`` and saved as an OCI archive. Both live
under ``~/.cache/hardhull-test/`` (``HARDHULL_TEST_CACHE`` overrides it), keyed by a hash
of everything that goes into them, so a changed recipe builds anew and an unchanged one
is reused. Builds hold a file lock, so concurrent users wait instead of racing.

This module does not depend on pytest: a missing tool raises :class:`ToolMissing`.
Tests call :func:`tests.support.imagekit.require` first, which skips (or, under
``CI=true``, fails) instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Bump when the way roots or images are made changes, so old cache entries are not reused.
RECIPE_FORMAT = 1
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
HOST_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

Log = Callable[[str], None]


class ToolMissing(RuntimeError):
    """A command-line tool the build needs is not installed."""


class BuildFailed(RuntimeError):
    """mmdebstrap or podman failed; the message carries the end of its output."""


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet(_message: str) -> None:
    return None


def cache_root() -> Path:
    """The cache directory (created on demand)."""
    root = Path(os.environ.get("HARDHULL_TEST_CACHE", "~/.cache/hardhull-test")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def need(*tools: str) -> None:
    """Raise :class:`ToolMissing` unless every tool is on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise ToolMissing(f"needs {', '.join(missing)} (run `make setup` as root)")


def host_mirrors(sources: Path = HOST_SOURCES) -> tuple[str, str]:
    """The (main, security) mirror URIs the machine's apt uses, or Debian's defaults.

    Reads the deb822 ``debian.sources`` file: the stanza whose suites end in
    ``-security`` names the security mirror, the first other one the main mirror.
    """
    main, security = DEFAULT_MIRROR, DEFAULT_SECURITY_MIRROR
    try:
        text = sources.read_text()
    except OSError:
        return main, security
    found_main = found_security = False
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line.startswith((" ", "\t")):
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        uris = fields.get("uris", "").split()
        suites = fields.get("suites", "").split()
        if "deb" not in fields.get("types", "deb").split() or not uris or not suites:
            continue
        if all(s.endswith("-security") for s in suites):
            if not found_security:
                security, found_security = uris[0].rstrip("/"), True
        elif not found_main:
            main, found_main = uris[0].rstrip("/"), True
    return main, security


@dataclass(frozen=True)
class DebianRecipe:
    """What goes into a Debian root: suite, mmdebstrap variant, extra packages, mirrors."""

    suite: str = "bookworm"
    variant: str = "minbase"
    include: tuple[str, ...] = ()
    mirror: str = field(default_factory=lambda: host_mirrors()[0])
    security_mirror: str = field(default_factory=lambda: host_mirrors()[1])

    def apt_lines(self) -> tuple[str, ...]:
        """One-line apt sources for the suite, its updates and its security suite."""
        return (
            f"deb {self.mirror} {self.suite} main",
            f"deb {self.mirror} {self.suite}-updates main",
            f"deb {self.security_mirror} {self.suite}-security main",
        )

    @property
    def key(self) -> str:
        """A short hash of everything that determines the root."""
        doc = {
            "format": RECIPE_FORMAT,
            "suite": self.suite,
            "variant": self.variant,
            "include": sorted(self.include),
            "sources": list(self.apt_lines()),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


BOOKWORM = DebianRecipe()


@contextmanager
def _locked(name: str) -> Iterator[None]:
    lock_path = cache_root() / f".{name}.lock"
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(cmd: list[str], *, log: Log, verbose: bool, cwd: Path | None = None) -> None:
    """Run ``cmd``; stream its output to stderr when verbose, else keep the tail for errors."""
    log("  $ " + " ".join(cmd))
    if verbose:
        proc = subprocess.run(cmd, cwd=cwd, check=False, stdout=sys.stderr, stderr=sys.stderr)
        tail = ""
    else:
        done = subprocess.run(cmd, cwd=cwd, check=False, capture_output=True)
        proc, tail = done, (done.stdout + done.stderr).decode(errors="replace")[-3000:]
    if proc.returncode != 0:
        raise BuildFailed(f"{cmd[0]} failed with exit code {proc.returncode}\n{tail}")


def debian_rootfs(
    recipe: DebianRecipe = BOOKWORM, *, log: Log = _quiet, verbose: bool = False
) -> Path:
    """A cached tarball of a Debian root built by mmdebstrap from ``recipe``."""
    target = cache_root() / "rootfs" / recipe.key / "rootfs.tar"
    if target.is_file():
        return target
    need("mmdebstrap")
    with _locked(f"rootfs-{recipe.key}"):
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name("rootfs.tar.partial")
        partial.unlink(missing_ok=True)
        log(
            f"hardhull: building a Debian {recipe.suite} root ({recipe.variant}) with mmdebstrap "
            f"from {recipe.mirror} (first time only, about a minute)..."
        )
        start = time.monotonic()
        cmd = [
            "mmdebstrap",
            f"--variant={recipe.variant}",
            "--format=tar",
        ]
        if not verbose:
            cmd.append("--quiet")
        if recipe.include:
            cmd.append("--include=" + ",".join(sorted(recipe.include)))
        cmd += [recipe.suite, str(partial), *recipe.apt_lines()]
        _run(cmd, log=log, verbose=verbose)
        partial.replace(target)
        (target.parent / "recipe.json").write_text(
            json.dumps(
                {
                    "suite": recipe.suite,
                    "variant": recipe.variant,
                    "include": sorted(recipe.include),
                    "sources": recipe.apt_lines(),
                },
                indent=2,
            )
            + "\n"
        )
        log(f"hardhull: Debian root ready in {time.monotonic() - start:.0f} s: {target}")
    return target


@dataclass(frozen=True)
class DebianImage:
    """A built image: its OCI archive, its podman tag and the root it started from."""

    archive: Path
    tag: str
    rootfs: Path
    key: str


def debian_image(
    name: str,
    steps: str = "",
    *,
    files: Mapping[str, bytes | Path] | None = None,
    recipe: DebianRecipe = BOOKWORM,
    network_host: bool = False,
    build_args: Mapping[str, str] | None = None,
    log: Log = _quiet,
    verbose: bool = False,
) -> DebianImage:
    """A cached OCI archive of ``FROM scratch`` + the Debian root + ``steps``.

    ``steps`` are extra Containerfile lines; ``files`` are put in the build context
    (name -> content or a path to copy). The cache key covers the root, the steps, the
    files' content and the build args (which therefore must not carry secrets).
    """
    files = dict(files or {})
    args = dict(build_args or {})
    rootfs = debian_rootfs(recipe, log=log, verbose=verbose)
    h = hashlib.sha256()
    h.update(f"{RECIPE_FORMAT}\0{recipe.key}\0{steps}\0{network_host}\0".encode())
    for fname in sorted(files):
        content = files[fname]
        data = content.read_bytes() if isinstance(content, Path) else content
        h.update(f"{fname}\0{len(data)}\0".encode())
        h.update(data)
    for arg in sorted(args):
        h.update(f"{arg}={args[arg]}\0".encode())
    key = h.hexdigest()[:16]
    tag = f"localhost/hardhull-test/{name}:{key}"
    archive = cache_root() / "images" / f"{name}-{key}.oci.tar"
    if archive.is_file():
        return DebianImage(archive, tag, rootfs, key)
    need("podman")
    with _locked(f"image-{name}-{key}"):
        if archive.is_file():
            return DebianImage(archive, tag, rootfs, key)
        archive.parent.mkdir(parents=True, exist_ok=True)
        context = cache_root() / "build" / f"{name}-{key}"
        shutil.rmtree(context, ignore_errors=True)
        context.mkdir(parents=True)
        try:
            try:
                os.link(rootfs, context / "rootfs.tar")
            except OSError:
                shutil.copyfile(rootfs, context / "rootfs.tar")
            for fname, content in files.items():
                dest = context / fname
                dest.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    shutil.copyfile(content, dest)
                else:
                    dest.write_bytes(content)
            (context / "Containerfile").write_text(
                "FROM scratch\nADD rootfs.tar /\n" + steps.strip() + "\n"
            )
            log(f"hardhull: building image {tag} with podman...")
            start = time.monotonic()
            cmd = ["podman", "build", "--format", "oci", "-t", tag]
            if not verbose:
                cmd.append("-q")
            if network_host:
                cmd.append("--network=host")
            for arg in sorted(args):
                cmd += ["--build-arg", f"{arg}={args[arg]}"]
            cmd += ["-f", str(context / "Containerfile"), str(context)]
            _run(cmd, log=log, verbose=verbose)
            partial = archive.with_name(archive.name + ".partial")
            partial.unlink(missing_ok=True)
            _run(
                ["podman", "save", "-q", "--format", "oci-archive", "-o", str(partial), tag],
                log=log,
                verbose=False,
            )
            partial.replace(archive)
            log(f"hardhull: image built in {time.monotonic() - start:.0f} s: {archive}")
        finally:
            shutil.rmtree(context, ignore_errors=True)
    return DebianImage(archive, tag, rootfs, key)


def extract_subtree(tar_path: Path, prefix: str, dest: Path) -> Path:
    """Extract only the members under ``prefix`` (e.g. ``var/lib/dpkg``) into ``dest``.

    Returns ``dest / prefix``. Only directories and regular files are written; the tar's
    own names are checked so nothing lands outside ``dest``.
    """
    prefix = prefix.strip("/")
    dest = dest.resolve()
    with tarfile.open(tar_path, "r:*") as tar:
        for member in tar:
            name = member.name.removeprefix("./").lstrip("/")
            if name != prefix and not name.startswith(prefix + "/"):
                continue
            out = (dest / name).resolve()
            if not out.is_relative_to(dest):
                raise ValueError(f"{tar_path}: unsafe member {member.name!r}")
            if member.isdir():
                out.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                out.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with source, out.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
    return dest / prefix


def oci_archive_layers(archive: Path) -> list[str]:
    """Layer digests of the single image in an OCI archive, in order (read with tarfile)."""
    with tarfile.open(archive, "r:") as tar:

        def load(name: str) -> dict[str, object]:
            member = tar.extractfile(name)
            assert member is not None
            with member:
                doc = json.load(member)
            assert isinstance(doc, dict)
            return doc

        index = load("index.json")
        manifests = index["manifests"]
        assert isinstance(manifests, list) and len(manifests) == 1
        algo, _, hexd = manifests[0]["digest"].partition(":")
        manifest = load(f"blobs/{algo}/{hexd}")
        layers = manifest["layers"]
        assert isinstance(layers, list)
        return [str(layer["digest"]) for layer in layers]


def host_ca_bundle() -> Path | None:
    """The host's CA bundle (which may hold a site CA that pip and npm need), if any."""
    return HOST_CA_BUNDLE if HOST_CA_BUNDLE.is_file() else None


def stderr_log() -> Log:
    """A logger that prints progress lines on stderr (for the demo and benches)."""
    return _stderr_log
