"""Notifiers, one module per channel type: Slack, e-mail (SMTP), signed JSON webhook, Teams."""

from __future__ import annotations

import httpx

from deeptracy.config import Settings
from deeptracy.events.channels import ChannelType, OpenChannel
from deeptracy.events.notifiers.interface import DeliveryResult, Notifier


def notifier_for(channel: OpenChannel, settings: Settings, client: httpx.Client) -> Notifier:
    """The notifier for an opened channel (modules load on first use)."""
    if channel.type is ChannelType.SLACK:
        from deeptracy.events.notifiers.slack import SlackNotifier

        return SlackNotifier(channel, settings, client)
    if channel.type is ChannelType.WEBHOOK:
        from deeptracy.events.notifiers.webhook import WebhookNotifier

        return WebhookNotifier(channel, settings, client)
    if channel.type is ChannelType.TEAMS:
        from deeptracy.events.notifiers.teams import TeamsNotifier

        return TeamsNotifier(channel, settings, client)
    from deeptracy.events.notifiers.email import EmailNotifier

    return EmailNotifier(channel, settings)


__all__ = ["DeliveryResult", "Notifier", "notifier_for"]
