"""E-mail through Django's mail (``EMAIL_*`` settings). Each message's ``Message-ID`` comes
from its delivery, so a message retried after a lost answer can be recognised as the same."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from wangge.notices.choices import Outcome
from wangge.notices.transport import Answer


def message_id(delivery_id: int) -> str:
    return f"<wangge.delivery.{delivery_id}@{settings.WANGGE_MAIL_DOMAIN}>"


def send(*, address: str, subject: str, text: str, delivery_id: int, timeout: float) -> Answer:
    message = EmailMessage(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id(delivery_id)},
        connection=get_connection(timeout=timeout),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = ", ".join(str(code) for code, _message in error.recipients.values())
        return Answer(Outcome.DEAD, code="refused", text=f"recipient refused ({codes})")
    except (smtplib.SMTPException, OSError) as error:
        # The server's words may name the address: only the kind of failure is kept.
        code = getattr(error, "smtp_code", "") or getattr(error, "errno", "") or ""
        return Answer(Outcome.RETRY, code=error.__class__.__name__, text=f"failed {code}".strip())
    return Answer(Outcome.SENT, code="250", text="accepted")
