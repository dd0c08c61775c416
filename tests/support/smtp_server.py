"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps the messages it accepts.

    server = SmtpServer(tmp_path, tls="starttls", auth=("mailer", "s3cret")).start()
    ... send to 127.0.0.1:server.port, trusting server.ca_file ...
    server.messages  # [Delivered(mail_from, rcpt_tos, message (email.message.EmailMessage))]

`server.refuse[address] = "550 5.1.1 no such user"` refuses a recipient.
`tls`: None (plain), "starttls" (offered and required before AUTH) or "ssl" (TLS from the first
byte). The certificate is self-signed for 127.0.0.1 and localhost, generated with
`cryptography` for each server.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) files for 127.0.0.1 / localhost; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deeptracy test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file = directory / "smtp-cert.pem"
    key_file = directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                content = part.get_content()
                assert isinstance(content, str)
                return content
        raise AssertionError(f"no {content_type} part")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, smtp: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        refusal = self.server.refuse.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        self.server._deliver(
            Delivered(
                envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content)
            )
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    def __init__(
        self,
        directory: Path,
        *,
        tls: str | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.messages: list[Delivered] = []
        # Recipients refused at RCPT with the given reply ("550 5.1.1 no such user").
        self.refuse: dict[str, str] = {}
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        self._lock = threading.Lock()
        self.port = _free_port()
        self.ca_file: Path | None = None
        context: ssl.SSLContext | None = None
        if tls is not None:
            cert, key = self_signed(directory)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self.ca_file = cert
        kwargs: dict[str, Any] = {}
        if auth is not None:
            user, password = auth

            def authenticator(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and data.login.decode() == user
                    and data.password.decode() == password
                )
                with self._lock:
                    self.logins.append((data.login.decode() if data else "", ok))
                return AuthResult(success=ok, handled=False)

            kwargs.update(
                authenticator=authenticator,
                auth_required=True,
                # aiosmtpd only knows STARTTLS: with implicit TLS ("ssl") the session is
                # encrypted from the first byte, yet it must be told not to require STARTTLS.
                auth_require_tls=tls == "starttls",
            )
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=context if tls == "ssl" else None,
            server_hostname="localhost",
            **kwargs,
        )

    def _deliver(self, delivered: Delivered) -> None:
        with self._lock:
            self.messages.append(delivered)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
