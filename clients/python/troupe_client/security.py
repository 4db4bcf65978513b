"""How this program authenticates to Troupe nodes: the shared secret and, optionally, TLS.

The same settings as every Java participant, read from the environment (never from the command
line, where other users could read them in the process list):

``TROUPE_SECRET_FILE``
    a file holding the secret (its first line), or
``TROUPE_SECRET``
    the secret itself; sent in the ``troupe-secret`` header of every call.
``TROUPE_TLS_CA``
    PEM CA bundle to verify the node with (turns TLS on);
``TROUPE_TLS_CERT``, ``TROUPE_TLS_KEY``
    PEM certificate chain and key of this program, for mutual TLS.

Neither set (and ``TROUPE_INSECURE`` unset): the secret in ``$TROUPE_HOME/secret`` (default
``~/.troupe/secret``) if that file exists, the one ``scripts/troupe up`` creates on first use, as Erlang
finds ``~/.erlang.cookie``. No secret at all: calls carry none (nodes without a secret accept them).
No TLS setting: plaintext.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple

import grpc

from .errors import TroupeError

SECRET_HEADER = "troupe-secret"


def _path(env: Mapping[str, str], key: str) -> Optional[Path]:
    value = env.get(key, "")
    return Path(value) if value else None


def default_secret_file(env: Mapping[str, str]) -> Path:
    """Where ``scripts/troupe up`` keeps the topology's process secret unless told otherwise."""
    home = env.get("TROUPE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".troupe")
    return Path(home) / "secret"


def _read_secret_file(name: str) -> str:
    try:
        lines = Path(name).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise TroupeError(grpc.StatusCode.FAILED_PRECONDITION, f"TROUPE_SECRET_FILE={name} cannot be read: {e}") from None
    secret = lines[0].strip() if lines else ""
    if not secret:
        raise TroupeError(grpc.StatusCode.FAILED_PRECONDITION, f"TROUPE_SECRET_FILE={name} is empty")
    return secret


@dataclass(frozen=True)
class Security:
    """Transport settings of one connection: ``secret`` (or ``None``) and TLS files (or ``None``)."""

    secret: Optional[str] = None
    tls_ca: Optional[Path] = None
    tls_cert: Optional[Path] = None
    tls_key: Optional[Path] = None

    @classmethod
    def from_environment(cls, env: Optional[Mapping[str, str]] = None) -> "Security":
        """The settings in ``env`` (default: this process's environment), as the Java side reads them.

        :raises TroupeError: ``FAILED_PRECONDITION`` when ``TROUPE_SECRET_FILE`` is unreadable or empty
        """
        env = os.environ if env is None else env
        secret: Optional[str] = None
        if env.get("TROUPE_SECRET_FILE"):
            secret = _read_secret_file(env["TROUPE_SECRET_FILE"])
        elif env.get("TROUPE_SECRET"):
            secret = env["TROUPE_SECRET"]
        elif not env.get("TROUPE_INSECURE") and default_secret_file(env).is_file():
            secret = _read_secret_file(str(default_secret_file(env)))
        return cls(secret=secret, tls_ca=_path(env, "TROUPE_TLS_CA"), tls_cert=_path(env, "TROUPE_TLS_CERT"),
                   tls_key=_path(env, "TROUPE_TLS_KEY"))

    @property
    def tls(self) -> bool:
        """Whether connections use TLS."""
        return self.tls_ca is not None or self.tls_cert is not None

    def channel(self, address: str, options: Sequence[Tuple[str, object]]) -> grpc.Channel:
        """A channel to ``address`` with these settings (the secret is added per call: :meth:`metadata`)."""
        if not self.tls:
            return grpc.insecure_channel(address, options=list(options))
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self.tls_ca.read_bytes() if self.tls_ca else None,
            private_key=self.tls_key.read_bytes() if self.tls_key and self.tls_cert else None,
            certificate_chain=self.tls_cert.read_bytes() if self.tls_key and self.tls_cert else None)
        return grpc.secure_channel(address, credentials, options=list(options))

    def metadata(self) -> List[Tuple[str, str]]:
        """The headers every call carries."""
        return [(SECRET_HEADER, self.secret)] if self.secret else []
