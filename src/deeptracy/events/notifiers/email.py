"""E-mail over SMTP: one multipart/alternative message (text/plain and text/html) per event.

The server comes from the original's settings (EMAIL_SMTP_SERVER, EMAIL_SMTP_PORT,
EMAIL_SMTP_USER, EMAIL_SMTP_PASSWORD, EMAIL_FROM) plus EMAIL_SMTP_SECURITY (`starttls`, the
default, refuses a server that does not offer it; `ssl` is TLS from the first byte; `none` is
plain text) and EMAIL_SMTP_CA_FILE for a relay with a private CA. Certificates and host names
are always verified. The body is rendered with Jinja2, the HTML part autoescaped; header values
are single lines. The password is never logged or recorded: errors carry the server's reply
code and text only, scrubbed of it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from deeptracy.config import Settings, SmtpSecurity
from deeptracy.events.channels import OpenChannel
from deeptracy.events.messages import Message, counts_text, one_line
from deeptracy.events.notifiers.interface import DeliveryResult, Notifier, Scrubber

COLORS = {
    "CRITICAL": "#8b0000",
    "HIGH": "#d1242f",
    "MEDIUM": "#bf8700",
    "LOW": "#0969da",
    "NONE": "#656d76",
    "UNKNOWN": "#656d76",
}

_templates = Environment(
    loader=PackageLoader("deeptracy.events", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
)


def render(message: Message, settings: Settings, to: tuple[str, ...], sender: str) -> EmailMessage:
    shown, more = message.top(settings.notify_top_findings)
    context = {
        "message": message,
        "shown": shown,
        "more": more,
        "counts": counts_text(message.counts),
        "colors": COLORS,
        "closed": any(f.closed_reason for f in shown),
    }
    email = EmailMessage()
    email["Subject"] = one_line(message.subject, 250)
    email["From"] = sender
    email["To"] = ", ".join(to)
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "deeptracy.invalid"
    email["Message-ID"] = make_msgid("deeptracy", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email["X-DeepTracy-Event"] = message.kind.value
    email.set_content(_templates.get_template("email.txt").render(context))
    email.add_alternative(_templates.get_template("email.html").render(context), subtype="html")
    return email


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.email_smtp_ca_file is not None:
        context.load_verify_locations(cafile=str(settings.email_smtp_ca_file))
    return context


def _reply(code: int, text: bytes | str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(decoded.split())}"


class EmailNotifier(Notifier):
    channel_type = "email"

    def __init__(self, channel: OpenChannel, settings: Settings) -> None:
        if not channel.to:
            raise ValueError("an e-mail channel needs recipients")
        self.to = channel.to
        self.settings = settings
        password = settings.email_smtp_password
        self.password = password.get_secret_value() if password else None
        self.scrub = Scrubber([self.password])

    def send(self, message: Message, *, delivery_id: str) -> DeliveryResult:
        settings = self.settings
        if not settings.email_smtp_server or not settings.email_from:
            return DeliveryResult.permanent(
                "e-mail is not configured: set EMAIL_SMTP_SERVER and EMAIL_FROM"
            )
        name, address = parseaddr(settings.email_from)
        try:
            Address(addr_spec=address)
        except (ValueError, IndexError):
            return DeliveryResult.permanent("EMAIL_FROM is not an e-mail address")
        if "@" not in address:
            return DeliveryResult.permanent("EMAIL_FROM is not an e-mail address")
        email = render(message, settings, self.to, formataddr((name, address)))
        try:
            refused = self._deliver(email, address)
        except smtplib.SMTPAuthenticationError as exc:
            return DeliveryResult.permanent(
                self.scrub(f"SMTP authentication failed: {_reply(exc.smtp_code, exc.smtp_error)}"),
                exc.smtp_code,
            )
        except smtplib.SMTPNotSupportedError as exc:
            return DeliveryResult.permanent(self.scrub(f"SMTP: {exc}"))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            first = next(iter(exc.recipients.values()), (None, b""))
            text = _reply(first[0] or 0, first[1])
            error = self.scrub(f"every recipient was refused: {text}")
            if all(400 <= c < 500 for c in codes):
                return DeliveryResult.transient(error, first[0])
            return DeliveryResult.permanent(error, first[0])
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            error = self.scrub(f"SMTP error: {_reply(exc.smtp_code, exc.smtp_error)}")
            if 400 <= exc.smtp_code < 500:
                return DeliveryResult.transient(error, exc.smtp_code)
            return DeliveryResult.permanent(error, exc.smtp_code)
        except ssl.SSLCertVerificationError as exc:
            return DeliveryResult.permanent(
                self.scrub(f"the SMTP server's certificate was not accepted: {exc.verify_message}")
            )
        except TimeoutError:
            return DeliveryResult.transient(f"SMTP timed out after {settings.notify_timeout:g} s")
        except (smtplib.SMTPException, OSError) as exc:
            return DeliveryResult.transient(
                self.scrub(f"SMTP connection failed: {type(exc).__name__}: {exc}")
            )
        if refused:
            shown = ", ".join(sorted(refused))[:200]
            return DeliveryResult.sent(250, self.scrub(f"some recipients were refused: {shown}"))
        return DeliveryResult.sent(250)

    def _deliver(self, email: EmailMessage, sender: str) -> dict[str, tuple[int, bytes]]:
        settings = self.settings
        host = settings.email_smtp_server or ""
        port = settings.email_smtp_port
        timeout = settings.notify_timeout
        smtp: smtplib.SMTP
        if settings.email_smtp_security is SmtpSecurity.SSL:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(settings))
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            smtp.ehlo()
            if settings.email_smtp_security is SmtpSecurity.STARTTLS:
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS (EMAIL_SMTP_SECURITY=starttls)"
                    )
                smtp.starttls(context=_tls_context(settings))
                smtp.ehlo()
            if settings.email_smtp_user:
                smtp.login(settings.email_smtp_user, self.password or "")
            refused = smtp.send_message(email, sender, list(self.to))
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        return dict(refused)
