"""Generates the Python stubs of the Troupe contract from the repository's ``.proto`` files.

The stubs are build output, never committed: they go to ``clients/python/build/gen`` (git-ignored)
and are regenerated when a ``.proto`` file is newer than the last generation. Run it by hand with
``clients/python/gen_stubs.sh`` (or ``python3 -m troupe_client._codegen``); the package also runs it
on first use.

Settings (environment variables):

``TROUPE_PROTO_DIR``
    the contract's root (default: ``<repo>/proto/src/main/proto``).
``TROUPE_STUBS_DIR``
    where the stubs go (default: ``clients/python/build/gen``).
``TROUPE_PROTO_INCLUDE``
    extra include directories (``os.pathsep``-separated), searched first for
    ``google/rpc/status.proto``.

``google/rpc/status.proto`` is not bundled with ``grpc_tools``. It is looked for, in order, in
``TROUPE_PROTO_INCLUDE``, in ``grpc_tools``' own include directory, in the Debian package
``golang-github-gogo-googleapis-dev``, in the Maven build's ``proto/target/protoc-dependencies``,
and in the ``proto-google-common-protos`` jar of the local Maven repository (``~/.m2``).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

STATUS_PROTO = Path("google/rpc/status.proto")
_CLIENT_ROOT = Path(__file__).resolve().parent.parent  # clients/python
_REPO_ROOT = _CLIENT_ROOT.parent.parent
_DEBIAN_GOOGLEAPIS = Path("/usr/share/gocode/src/github.com/gogo/googleapis")
_STAMP = ".troupe-stubs-stamp"


class CodegenError(RuntimeError):
    """The stubs could not be generated; the message says what to install or set."""


def proto_dir() -> Path:
    """The root of the Troupe ``.proto`` files."""
    return Path(os.environ.get("TROUPE_PROTO_DIR") or _REPO_ROOT / "proto" / "src" / "main" / "proto")


def stubs_dir() -> Path:
    """Where the generated modules go (a directory to put on ``sys.path``)."""
    return Path(os.environ.get("TROUPE_STUBS_DIR") or _CLIENT_ROOT / "build" / "gen")


def contract_files(root: Path) -> List[Path]:
    """Every ``.proto`` file of the contract, relative to ``root``, in a stable order."""
    files = sorted(p.relative_to(root) for p in root.rglob("*.proto"))
    if not files:
        raise CodegenError(f"no .proto files under {root}; set TROUPE_PROTO_DIR to the contract's root")
    return files


def grpc_tools_include() -> Path:
    """The include directory ``grpc_tools`` ships (``google/protobuf/*.proto``)."""
    try:
        import grpc_tools
    except ImportError as e:
        raise CodegenError(
            "grpc_tools is missing: install it with 'apt-get install python3-grpc-tools' "
            "(and run the Debian /usr/bin/python3)") from e
    return Path(grpc_tools.__file__).resolve().parent / "_proto"


def _m2_jars() -> Iterable[Path]:
    repo = Path.home() / ".m2" / "repository" / "com" / "google" / "api" / "grpc" / "proto-google-common-protos"
    return sorted(repo.glob("*/proto-google-common-protos-*.jar"), reverse=True)


def _extract_from_jar(jar: Path, into: Path) -> Optional[Path]:
    with zipfile.ZipFile(jar) as z:
        if str(STATUS_PROTO) not in z.namelist():
            return None
        target = into / STATUS_PROTO
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(z.read(str(STATUS_PROTO)))
    return into


def status_include(extracted: Path) -> Path:
    """A directory that holds ``google/rpc/status.proto`` (extracting it from a jar if need be)."""
    candidates: List[Path] = [Path(p) for p in os.environ.get("TROUPE_PROTO_INCLUDE", "").split(os.pathsep) if p]
    candidates += [grpc_tools_include(), _DEBIAN_GOOGLEAPIS]
    candidates += sorted((_REPO_ROOT / "proto" / "target" / "protoc-dependencies").glob("*"))
    for c in candidates:
        if (c / STATUS_PROTO).is_file():
            return c
    for jar in _m2_jars():
        found = _extract_from_jar(jar, extracted)
        if found is not None:
            return found
    raise CodegenError(
        "google/rpc/status.proto not found. Build the Java side once (mvn -DskipTests package), or "
        "'apt-get install golang-github-gogo-googleapis-dev', or set TROUPE_PROTO_INCLUDE to a "
        "directory holding google/rpc/status.proto")


def _newest_mtime(root: Path, files: Sequence[Path]) -> float:
    return max((root / f).stat().st_mtime for f in files)


def is_fresh(out: Path, root: Path) -> bool:
    """Whether ``out`` holds stubs generated after the last change to the contract."""
    stamp = out / _STAMP
    if not stamp.is_file():
        return False
    try:
        return stamp.stat().st_mtime >= _newest_mtime(root, contract_files(root))
    except OSError:
        return False


def _run_protoc(args: List[str]) -> None:
    from grpc_tools import protoc

    code = protoc.main(["grpc_tools.protoc"] + args)
    if code != 0:
        raise CodegenError(f"protoc failed (exit {code}) with: {' '.join(args)}")


def generate(out: Path, root: Path) -> None:
    """Generates the messages and gRPC stubs of every contract file into ``out`` (replaced whole)."""
    files = contract_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".gen-", dir=out.parent))
    try:
        include = status_include(work / "include")
        dest = work / "out"
        dest.mkdir()
        _run_protoc([f"-I{root}", f"-I{include}", f"-I{grpc_tools_include()}",
                     f"--python_out={dest}", f"--grpc_python_out={dest}",
                     str(STATUS_PROTO)] + [str(f) for f in files])
        (dest / _STAMP).write_text("generated from " + str(root) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(dest, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_stubs(force: bool = False) -> Path:
    """Generates the stubs if they are missing or older than the contract. Returns their directory.

    Safe to call from several processes at once: generation holds a file lock.
    """
    out, root = stubs_dir(), proto_dir()
    if not force and is_fresh(out, root):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / ".gen.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not is_fresh(out, root):
            generate(out, root)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: generate the stubs (only when stale, unless ``--force``) and print where."""
    parser = argparse.ArgumentParser(description="Generate the Troupe Python stubs from the .proto files.")
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    try:
        print(ensure_stubs(force=args.force))
    except CodegenError as e:
        print(f"gen_stubs: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
