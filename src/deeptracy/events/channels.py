"""A project's notification channels: their schema, validation, encryption and safe display.

`Project.channels` is a JSON list. Each entry has an `id` (stable across edits, so pending
deliveries keep their channel), a `type` and the type's fields; secrets are stored as
`deeptracy.vault.Vault` tokens and never returned:

    {"id": "c1f0a2b3c4d5", "type": "slack",   "url": <vault>, "label": "hooks.slack.com/…Xy12"}
    {"id": "...",          "type": "teams",   "url": <vault>, "label": "..."}
    {"id": "...",          "type": "webhook", "url": <vault>, "secret": <vault>, "label": "..."}
    {"id": "...",          "type": "email",   "to": ["dev@example.com"]}

`set_channels` takes plain values (what an API client sends), validates them, encrypts the
secrets and replaces the list; an entry that names an existing `id` may leave `url` / `secret`
out to keep the stored ones. `present_channels` is what may be shown: URLs as their host and
last four characters, secrets never. The original's `hook_type` / `hook_data` / `email` map onto
this through `channels_from_original`.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from deeptracy.config import Settings
from deeptracy.store.models import Project
from deeptracy.vault import Vault, VaultError

MAX_CHANNELS = 20
MAX_RECIPIENTS = 50
MAX_URL_LENGTH = 2048
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class ChannelType(StrEnum):
    SLACK = "slack"
    EMAIL = "email"
    WEBHOOK = "webhook"
    TEAMS = "teams"


class ChannelError(ValueError):
    """Channel settings that cannot be accepted; the message names the entry and the field."""


# ---- what clients send --------------------------------------------------------------------------


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str | None = Field(default=None, max_length=32)


class SlackInput(_Input):
    type: Literal["slack"]
    url: str | None = None


class TeamsInput(_Input):
    type: Literal["teams"]
    url: str | None = None


class WebhookInput(_Input):
    type: Literal["webhook"]
    url: str | None = None
    secret: SecretStr | None = None


class EmailInput(_Input):
    type: Literal["email"]
    to: list[str] = Field(min_length=1)


ChannelInput = Annotated[
    SlackInput | TeamsInput | WebhookInput | EmailInput, Field(discriminator="type")
]
_INPUTS: TypeAdapter[list[ChannelInput]] = TypeAdapter(list[ChannelInput])


# ---- what is stored -----------------------------------------------------------------------------


class _Stored(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: str


class StoredUrlChannel(_Stored):
    type: Literal["slack", "teams"]
    url: str  # vault token
    label: str


class StoredWebhook(_Stored):
    type: Literal["webhook"]
    url: str  # vault token
    secret: str  # vault token
    label: str


class StoredEmail(_Stored):
    type: Literal["email"]
    to: list[str]


StoredChannel = Annotated[
    StoredUrlChannel | StoredWebhook | StoredEmail, Field(discriminator="type")
]
_STORED: TypeAdapter[StoredChannel] = TypeAdapter(StoredChannel)


def stored_channels(project: Project) -> list[StoredChannel]:
    """The project's channels; entries that do not parse (hand-edited rows) are left out."""
    found: list[StoredChannel] = []
    for entry in project.channels or []:
        try:
            found.append(_STORED.validate_python(entry))
        except ValidationError:
            continue
    return found


def channel_label(channel: StoredChannel) -> str:
    """A display label without secrets (also `Notification.target`)."""
    if isinstance(channel, StoredEmail):
        return ", ".join(channel.to)[:255]
    return channel.label


# ---- opened channels (plaintext, for a delivery only) -------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenChannel:
    """A channel with its secrets decrypted: only ever held while delivering."""

    id: str
    type: ChannelType
    label: str
    url: str | None = None
    secret: str | None = None
    to: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never print secrets by accident
        return f"OpenChannel(id={self.id!r}, type={self.type.value!r}, label={self.label!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to scrub from any text that could be recorded or logged: the secret, the URL
        and its parts (a receiver may echo the path that holds the token)."""
        found = [v for v in (self.url, self.secret) if v]
        if self.url:
            found.extend(url_secrets(self.url))
        return tuple(found)


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that may carry a token: path, query, long path segments and
    query values."""
    parts = urlsplit(url)
    found = [p for p in (parts.path, parts.query) if len(p) >= 8]
    found.extend(s for s in parts.path.split("/") if len(s) >= 12)
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2]
        if len(value) >= 8:
            found.append(value)
    return found


def open_channel(vault: Vault, channel: StoredChannel) -> OpenChannel:
    """Decrypt a stored channel; raises deeptracy.vault.VaultError with the wrong key."""
    if isinstance(channel, StoredEmail):
        return OpenChannel(
            channel.id, ChannelType.EMAIL, channel_label(channel), to=tuple(channel.to)
        )
    if isinstance(channel, StoredWebhook):
        return OpenChannel(
            channel.id,
            ChannelType.WEBHOOK,
            channel.label,
            url=vault.decrypt(channel.url),
            secret=vault.decrypt(channel.secret),
        )
    return OpenChannel(
        channel.id, ChannelType(channel.type), channel.label, url=vault.decrypt(channel.url)
    )


def find_channel(project: Project, channel_id: str | None) -> StoredChannel | None:
    if channel_id is None:
        return None
    return next((c for c in stored_channels(project) if c.id == channel_id), None)


# ---- validation ---------------------------------------------------------------------------------


def redacted_url(url: str) -> str:
    """Host and the last four characters: enough to recognise a URL, too little to use it."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    secret_part = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(secret_part) >= 16:
        return f"{host}/…{secret_part[-4:]}"
    return host


def is_private_host(host: str) -> bool:
    """Loopback, private, link-local, reserved or unspecified addresses, and localhost names."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return not address.is_global or address.is_multicast


def validate_url(url: str, settings: Settings, *, what: str = "url") -> str:
    """A notification URL: https (http only when ALLOW_HTTP_NOTIFICATIONS), a host, no
    credentials or fragment, no private address unless NOTIFY_ALLOW_PRIVATE_HOSTS."""
    value = url.strip()
    if not value:
        raise ChannelError(f"{what}: must not be empty")
    if len(value) > MAX_URL_LENGTH:
        raise ChannelError(f"{what}: longer than {MAX_URL_LENGTH} characters")
    if _CONTROL.search(value):
        raise ChannelError(f"{what}: must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ChannelError(f"{what}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ChannelError(f"{what}: must be an https:// URL")
    if scheme == "http" and not settings.allow_http_notifications:
        raise ChannelError(
            f"{what}: must be an https:// URL (plain http:// needs ALLOW_HTTP_NOTIFICATIONS)"
        )
    if not parts.hostname:
        raise ChannelError(f"{what}: has no host")
    if parts.username is not None or parts.password is not None:
        raise ChannelError(f"{what}: must not carry a user name or password")
    if parts.fragment:
        raise ChannelError(f"{what}: must not have a #fragment")
    if port == 0:
        raise ChannelError(f"{what}: port 0 is not a port")
    if is_private_host(parts.hostname) and not settings.notify_allow_private_hosts:
        raise ChannelError(
            f"{what}: {parts.hostname} is a loopback, private or link-local address "
            "(allowed only with NOTIFY_ALLOW_PRIVATE_HOSTS)"
        )
    return value


def validate_email(address: str, *, what: str = "to") -> str:
    value = address.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ChannelError(f"{what}: {value[:80]!r} is not an e-mail address")
    return value


def _validated_secret(secret: SecretStr, what: str) -> str:
    value = secret.get_secret_value()
    if not MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH:
        raise ChannelError(
            f"{what}: a webhook secret has {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        )
    if _CONTROL.search(value):
        raise ChannelError(f"{what}: must not contain spaces or control characters")
    return value


def _describe_validation(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:5]:
        where = "channels" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"]
        )
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


# ---- setting and showing ------------------------------------------------------------------------


def _new_id(taken: set[str]) -> str:
    while True:
        candidate = secrets.token_hex(6)
        if candidate not in taken:
            return candidate


def set_channels(
    project: Project,
    settings: Settings,
    vault: Vault,
    channels: Sequence[Mapping[str, Any] | ChannelInput],
) -> list[dict[str, Any]]:
    """Replace the project's channels with `channels` (plain values); returns their safe view.

    Raises ChannelError naming the entry and field at fault; the project is then unchanged.
    """
    if len(channels) > MAX_CHANNELS:
        raise ChannelError(f"channels: at most {MAX_CHANNELS} channels per project")
    try:
        inputs = _INPUTS.validate_python(
            [c.model_dump() if isinstance(c, BaseModel) else c for c in channels]
        )
    except ValidationError as exc:
        raise ChannelError(_describe_validation(exc)) from None
    existing = {c.id: c for c in stored_channels(project)}
    # Plaintext URLs of stored channels, to keep the id of a channel given again without it.
    known_urls: dict[tuple[str, str], str] = {}
    for channel in existing.values():
        if isinstance(channel, StoredUrlChannel | StoredWebhook):
            try:
                known_urls[(channel.type, vault.decrypt(channel.url))] = channel.id
            except VaultError:
                continue
        elif isinstance(channel, StoredEmail):
            known_urls[("email", ",".join(channel.to))] = channel.id
    taken: set[str] = set()
    result: list[StoredChannel] = []
    for index, item in enumerate(inputs):
        where = f"channels[{index}]"
        previous = existing.get(item.id) if item.id else None
        if item.id is not None and (previous is None or previous.type != item.type):
            raise ChannelError(f"{where}.id: no {item.type} channel {item.id!r} on this project")
        stored = _stored_from_input(item, previous, settings, vault, known_urls, where)
        if stored.id in taken:
            stored = stored.model_copy(update={"id": _new_id(taken | set(existing))})
        taken.add(stored.id)
        result.append(stored)
    project.channels = [c.model_dump() for c in result]
    return present_channels(project)


def _stored_from_input(
    item: SlackInput | TeamsInput | WebhookInput | EmailInput,
    previous: StoredChannel | None,
    settings: Settings,
    vault: Vault,
    known_urls: Mapping[tuple[str, str], str],
    where: str,
) -> StoredChannel:
    if isinstance(item, EmailInput):
        if len(item.to) > MAX_RECIPIENTS:
            raise ChannelError(f"{where}.to: at most {MAX_RECIPIENTS} recipients")
        to = list(
            dict.fromkeys(validate_email(a, what=f"{where}.to[{i}]") for i, a in enumerate(item.to))
        )
        channel_id = item.id or known_urls.get(("email", ",".join(to))) or secrets.token_hex(6)
        return StoredEmail(id=channel_id, type="email", to=to)

    if item.url is None:
        if previous is None or isinstance(previous, StoredEmail):
            raise ChannelError(f"{where}.url: required for a new {item.type} channel")
        url_token, label = previous.url, previous.label
        channel_id = previous.id
    else:
        url = validate_url(item.url, settings, what=f"{where}.url")
        url_token, label = vault.encrypt(url), redacted_url(url)
        channel_id = item.id or known_urls.get((item.type, url)) or secrets.token_hex(6)

    if isinstance(item, WebhookInput):
        if item.secret is not None:
            secret_token = vault.encrypt(_validated_secret(item.secret, f"{where}.secret"))
        elif isinstance(previous, StoredWebhook):
            secret_token = previous.secret
        else:
            raise ChannelError(
                f"{where}.secret: required for a new webhook channel "
                f"({MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters)"
            )
        return StoredWebhook(
            id=channel_id, type="webhook", url=url_token, secret=secret_token, label=label
        )
    return StoredUrlChannel(id=channel_id, type=item.type, url=url_token, label=label)


def present_channels(project: Project) -> list[dict[str, Any]]:
    """The channels as they may be shown: ids, types, redacted targets; never a secret."""
    shown: list[dict[str, Any]] = []
    for channel in stored_channels(project):
        view: dict[str, Any] = {
            "id": channel.id,
            "type": channel.type,
            "target": channel_label(channel),
        }
        if isinstance(channel, StoredEmail):
            view["to"] = list(channel.to)
        if isinstance(channel, StoredWebhook):
            view["secret"] = "set"  # noqa: S105 - says that one is stored, never which
        shown.append(view)
    return shown


def channels_from_original(
    hook_type: str | None, hook_data: str | None = None, email: str | None = None
) -> list[dict[str, Any]]:
    """The original's hook_type (NONE, SLACK, EMAIL, SLACK_EMAIL), hook_data (a Slack webhook
    URL or an e-mail address) and `email`, as channel inputs for `set_channels`."""
    kind = (hook_type or "NONE").strip().upper()
    data = (hook_data or "").strip() or None
    mail = (email or "").strip() or None
    if kind == "NONE":
        return [{"type": "email", "to": [mail]}] if mail else []
    if kind == "SLACK":
        if data is None:
            raise ChannelError("hook_data: a SLACK hook needs the webhook URL")
        return [{"type": "slack", "url": data}]
    if kind == "EMAIL":
        address = data if data and "@" in data else mail
        if address is None:
            raise ChannelError("hook_data: an EMAIL hook needs an e-mail address")
        return [{"type": "email", "to": [address]}]
    if kind == "SLACK_EMAIL":
        if data is None or mail is None:
            raise ChannelError(
                "hook_data, email: a SLACK_EMAIL hook needs the webhook URL (hook_data) and an "
                "e-mail address (email)"
            )
        return [{"type": "slack", "url": data}, {"type": "email", "to": [mail]}]
    raise ChannelError(
        f"hook_type: unknown value {hook_type!r} (use NONE, SLACK, EMAIL or SLACK_EMAIL)"
    )
