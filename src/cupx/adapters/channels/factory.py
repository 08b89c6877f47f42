"""Pick each channel's sender from settings: SMTP when `smtp_host` is set, the SMS provider when
`sms_provider_url` is set, file sinks otherwise; letters always go to PDF print batches."""

from __future__ import annotations

from cupx.adapters.channels.files import FileSink
from cupx.adapters.channels.letters import PdfLetterSender
from cupx.adapters.channels.sms import HttpSmsSender
from cupx.adapters.channels.smtp import SmtpSender
from cupx.config import Settings
from cupx.services.dispatch_ports import ChannelSender

__all__ = ["build_senders"]


def build_senders(settings: Settings) -> dict[str, ChannelSender]:
    sink = settings.data_dir / "outbox"
    senders: dict[str, ChannelSender] = {}
    if settings.smtp_host:
        senders["email"] = SmtpSender(settings.smtp_host, settings.smtp_port, mail_from=settings.mail_from,
                                      user=settings.smtp_user, password=settings.smtp_password,
                                      starttls=settings.smtp_starttls)
    else:
        senders["email"] = FileSink(sink, "email")
    if settings.sms_provider_url:
        senders["sms"] = HttpSmsSender(
            settings.sms_provider_url, settings.sms_account_sid or "AC-unset", settings.sms_auth_token or "",
            settings.sms_from, status_callback_url=f"{settings.public_base_url.rstrip('/')}/webhooks/sms/status")
    else:
        senders["sms"] = FileSink(sink, "sms")
    senders["letter"] = PdfLetterSender(settings.data_dir / "letters")
    senders["agency"] = FileSink(sink, "agency")
    return senders
