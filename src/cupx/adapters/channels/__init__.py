"""Delivery channels: SMTP email, a Twilio-style SMS provider over HTTP, PDF letters in daily print
batches, and a file sink per channel (the embedded default). Each implements
`cupx.services.dispatch_ports.ChannelSender`; `build_senders(settings)` picks them from settings."""

from cupx.adapters.channels.factory import build_senders

__all__ = ["build_senders"]
