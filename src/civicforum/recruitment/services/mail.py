"""Emails to many people in one background task: one session with the mail server, and a failure to reach
one person that stops nobody else's email."""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Iterator

from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from civicforum.plain_text import one_line

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def mail_session() -> Iterator[BaseEmailBackend]:
    """One connection for every email of the task: opening one per email (TLS and sign-in each time)
    took long enough, for a panel of 60, to outlast the web server's timeout. A server that cannot be
    reached now is tried again by each email, which then counts as failed."""
    connection = get_connection()
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.open()  # kept open: sending through a closed connection opens and closes one per email
    try:
        yield connection
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()


def send(connection: BaseEmailBackend, subject: str, text: str, to: str, who: str) -> bool:
    """Send one email, its subject on one line whatever the forum's title holds (a line break there stopped
    a whole batch with a server error); False if the mail server refused it or could not be reached, logged
    with ``who``
    (a role and a reference, never an address) and the kind of failure only: smtplib's exceptions carry
    the email addresses."""
    try:
        EmailMessage(one_line(subject), text, None, [to], connection=connection).send()
    except (smtplib.SMTPException, OSError) as error:
        logger.error("Could not email %s: %s", who, type(error).__name__)
        return False
    return True
