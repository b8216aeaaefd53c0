"""Sending a report by email over SMTP: the settings, the addresses, the message, the sending.

Only the standard library is used. The password comes from ``CHURNWATCH_SMTP_PASSWORD``
alone and never appears in an error: server replies are scrubbed of it, and delivery errors
are raised without chaining the ``smtplib`` exception they replace.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from churnwatch.config import Email
from churnwatch.core.errors import ConfigError, DeliveryError, UsageError

Tls = Literal["starttls", "ssl", "none"]

HOST_VAR = "CHURNWATCH_SMTP_HOST"
PORT_VAR = "CHURNWATCH_SMTP_PORT"
TLS_VAR = "CHURNWATCH_SMTP_TLS"
USER_VAR = "CHURNWATCH_SMTP_USER"
FROM_VAR = "CHURNWATCH_SMTP_FROM"
PASSWORD_VAR = "CHURNWATCH_SMTP_PASSWORD"

DEFAULT_PORTS: Mapping[Tls, int] = {"starttls": 587, "ssl": 465, "none": 25}
"""The registered port of each way of speaking TLS (RFC 8314, RFC 5321)."""

_SHOWN_MAX = 80
"""Longest piece of user input quoted back in an error message."""

_REPLY_MAX = 200
"""Longest server reply quoted in an error message (some servers answer with a page)."""

_REFUSALS_SHOWN = 5
"""Refused recipients named one by one before the rest are counted."""

_LOCAL_CHARS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
"""The characters of an unquoted local part (RFC 5322 dot-atom)."""

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
"""One label of a host name (RFC 1035, letters digits and inner hyphens)."""

_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")

_NAMED_MAILBOX = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>]*)>")


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: the config's ``[email]`` table after the environment's say."""

    host: str
    port: int
    tls: Tls
    user: str | None
    sender: str | None
    """The default From address."""


def smtp_settings(config: Email, environ: Mapping[str, str]) -> SmtpSettings:
    """[email] in the config, overridden by CHURNWATCH_SMTP_HOST, CHURNWATCH_SMTP_PORT,
    CHURNWATCH_SMTP_TLS, CHURNWATCH_SMTP_USER (and CHURNWATCH_SMTP_FROM) from the environment.

    The environment wins so that a server can be switched for one run (or in CI) without
    editing the shared config file. An empty variable counts as unset.
    """
    host = _host(_from_environ(environ, HOST_VAR) or config.host)
    tls = _tls(environ) or config.tls or "starttls"
    port = _port(environ) or config.port or DEFAULT_PORTS[tls]
    user = _from_environ(environ, USER_VAR) or config.user or None
    sender = _sender(environ, config)
    settings = SmtpSettings(host=host, port=port, tls=tls, user=user, sender=sender)
    _refuse_clear_text(settings)
    return settings


def smtp_password(environ: Mapping[str, str]) -> str | None:
    """Only from CHURNWATCH_SMTP_PASSWORD: never from the command line or a file.

    A command line shows up in ``ps`` and shell history, and a config file gets committed;
    the environment is the one place that is neither. Kept exactly as given (no stripping):
    spaces can be part of a password.
    """
    return environ.get(PASSWORD_VAR) or None


def _refuse_clear_text(settings: SmtpSettings) -> None:
    """An error for ``tls = "none"`` unless the server is on this machine: anywhere else the
    password and the report would cross the network readable by anyone on the way."""
    if settings.tls != "none" or _is_loopback(settings.host):
        return
    raise ConfigError(
        f'tls = "none" is only allowed for a mail relay on this machine (localhost, 127.0.0.1'
        f" or ::1), not {settings.host}: without TLS the password and the report would cross"
        " the network in clear text",
        hint=f'use tls = "starttls" (port 587) or tls = "ssl" (port 465) in [email] or {TLS_VAR}',
    )


def _from_environ(environ: Mapping[str, str], name: str) -> str | None:
    """A variable's value without surrounding blanks; empty means unset (``VAR= cmd``)."""
    value = environ.get(name, "").strip()
    return value or None


def _host(host: str | None) -> str:
    """The server's name, refused when missing or when it carries a port or blanks."""
    if not host:
        raise ConfigError(
            "no mail server to send the report through",
            hint=f"set [email] host in churnwatch.toml or the environment variable {HOST_VAR}",
        )
    if any(char.isspace() or not char.isprintable() for char in host):
        raise ConfigError(f"the mail server name {_quoted(host)} contains blanks")
    if host.count(":") == 1:
        raise ConfigError(
            f"the mail server name {_quoted(host)} includes a port",
            hint=f"give the name alone, and the port in [email] port or {PORT_VAR}",
        )
    return host


def _tls(environ: Mapping[str, str]) -> Tls | None:
    """CHURNWATCH_SMTP_TLS, case-insensitive; a typo is an error rather than a silent default
    that might send in clear text or fail obscurely."""
    value = _from_environ(environ, TLS_VAR)
    if value is None:
        return None
    for mode in DEFAULT_PORTS:
        if value.lower() == mode:
            return mode
    raise ConfigError(f"{TLS_VAR} must be one of {', '.join(DEFAULT_PORTS)}, not {_quoted(value)}")


def _port(environ: Mapping[str, str]) -> int | None:
    """CHURNWATCH_SMTP_PORT as a number from 1 to 65535."""
    value = _from_environ(environ, PORT_VAR)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise ConfigError(
            f"{PORT_VAR} must be a port number from 1 to 65535 (587 for starttls, 465 for"
            f" ssl, 25 for none), not {_quoted(value)}"
        )
    return int(value)


def default_sender(config: Email, environ: Mapping[str, str]) -> str | None:
    """The From address of ``[email] from`` or ``CHURNWATCH_SMTP_FROM`` (no server needed:
    ``--dry-run`` writes messages without one)."""
    return _sender(environ, config)


def _sender(environ: Mapping[str, str], config: Email) -> str | None:
    """The default From address, checked now so a typo fails before any connection."""
    from_environ = _from_environ(environ, FROM_VAR)
    text = from_environ or config.sender or None
    if text is None:
        return None
    where = FROM_VAR if from_environ else "[email] from"
    try:
        mailbox = _mailbox(text)
    except ValueError as exc:
        raise ConfigError(
            f"{where}: {_quoted(text)} is not a usable email address: {exc}"
        ) from None
    return str(mailbox) if mailbox.display_name else mailbox.addr_spec


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost``, ``::1`` or any 127.x.x.x."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- addresses ------------------------------------------------------------------------------


def parse_addresses(text: str, option: str = "--email-to") -> list[str]:
    """'a@x.de, b@y.de' → ['a@x.de', 'b@y.de']; UsageError naming the bad one.

    Commas and semicolons (Outlook's separator) both separate; a display name may come
    first, quoted or not (``Anna Müller <anna@x.de>``) and is kept. An address given twice
    is sent to once. Anything with a line break is refused: it could smuggle in a header.
    """
    addresses: list[str] = []
    seen: set[str] = set()
    for piece in _split(text):
        try:
            mailbox = _mailbox(piece)
        except ValueError as exc:
            raise UsageError(
                f"{option}: {_quoted(piece.strip(' '))} is not a usable email address: {exc}"
            ) from None
        if mailbox.addr_spec.lower() not in seen:
            seen.add(mailbox.addr_spec.lower())
            addresses.append(str(mailbox) if mailbox.display_name else mailbox.addr_spec)
    if not addresses:
        raise UsageError(
            f"{option}: no email address given",
            hint=f"{option} 'anna@example.com, ben@example.com'",
        )
    return addresses


def _split(text: str) -> list[str]:
    """The pieces between commas and semicolons, except those inside a quoted display name
    (``"Müller, Anna" <anna@x.de>`` is one address); blank pieces are dropped."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ",;" and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return [piece for piece in pieces if piece.strip()]


def _mailbox(piece: str) -> Address:
    """One address, optionally with a display name; ValueError with the reason when it is
    not one."""
    if any(not char.isprintable() and char != " " for char in piece):
        raise ValueError("it contains a line break or another control character")
    piece = piece.strip()
    match = _NAMED_MAILBOX.fullmatch(piece)
    if match is None and ("<" in piece or ">" in piece):
        raise ValueError("write a name and address as Anna Müller <anna@example.com>")
    if match is None:
        return Address(addr_spec=_addr_spec(piece))
    name = _unquote(match["name"].strip())
    return Address(display_name=name, addr_spec=_addr_spec(match["address"].strip()))


def _unquote(name: str) -> str:
    """A display name without its surrounding double quotes and backslash escapes."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return re.sub(r"\\(.)", r"\1", name[1:-1]).strip()
    if '"' in name:
        raise ValueError("the name has an unmatched double quote")
    return name


def _addr_spec(address: str) -> str:
    """A bare ``local@domain``, checked strictly enough that a typo is caught before the
    server bounces it; an international domain is spelled in its ASCII (IDNA) form."""
    if address.count("@") != 1:
        raise ValueError("an address needs exactly one @")
    local, domain = address.split("@")
    _check_local_part(local)
    domain = _ascii_domain(domain)
    if len(local) + 1 + len(domain) > 254:
        raise ValueError("it is longer than the 254 characters an address may have")
    return f"{local}@{domain}"


def _check_local_part(local: str) -> None:
    """The part before the @: plain ASCII, no blanks, no leading, trailing or double dots."""
    if not local:
        raise ValueError("nothing before the @")
    if not local.isascii():
        raise ValueError("letters such as ä before the @ are not accepted by most mail servers")
    if len(local) > 64:
        raise ValueError("the part before the @ is longer than the 64 characters it may have")
    if _LOCAL_CHARS.fullmatch(local) is None:
        raise ValueError("the part before the @ has blanks or characters an address cannot have")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError("the part before the @ cannot start or end with a dot or have two")


def _ascii_domain(domain: str) -> str:
    """The part after the @ as ASCII: a dotted host name (or ``localhost``)."""
    if domain.lower() == "localhost":
        return domain
    try:
        ascii_domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{_quoted(domain)} is not a valid domain") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("the part after the @ must be a domain such as example.com")
    return ascii_domain


def _quoted(text: str) -> str:
    """User input in quotes, as ``_shown`` makes it (not ``repr``, which would double the
    backslash of an escaped line break)."""
    return f"'{_shown(text)}'"


def _shown(text: str) -> str:
    """User input fit to quote in a one-line message: control characters escaped (so a line
    break is visible as ``\\n``), and very long input cut short."""
    visible = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
    return visible if len(visible) <= _SHOWN_MAX else visible[: _SHOWN_MAX - 1] + "…"


# --- the message ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A file sent along with the report (the spreadsheet, a calendar file)."""

    filename: str
    content: bytes
    mime_type: str
    """e.g. ``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``."""


ENCODED_WORD = 75
"""RFC 2047's longest encoded word; Python's ``Header``, given it as the line length, keeps
each folded line within it, the fold's leading blank included."""


class _MailPolicy(policy.EmailPolicy):
    """SMTP's line ends; a subject with non-ASCII characters in encoded words of at most
    75 characters, as RFC 2047 asks; other headers folded only at RFC 5322's limit of 998.

    Python's own folding at 78 split a subject's non-ASCII words into encoded words and
    dropped the blank between them ("…warning list ·Chloé", "JürgenKöhler" on the reader's
    screen); unfolded, one encoded word held the whole subject. The text parts are
    quoted-printable and the attachments base64 either way: their lines stay short."""

    def fold(self, name: str, value: str) -> str:
        if self._encoded_subject(name, value):
            words = Header(str(value), "utf-8", ENCODED_WORD, name).encode(linesep=self.linesep)
            return f"{name}: {words}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if self._encoded_subject(name, value):
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)

    def _encoded_subject(self, name: str, value: str) -> bool:
        """A subject to encode (a server taking UTF-8 headers, SMTPUTF8, gets them as
        they are)."""
        return name.lower() == "subject" and not self.utf8 and not str(value).isascii()


MAIL_POLICY = _MailPolicy().clone(linesep="\r\n", max_line_length=998)


def compose(
    *,
    subject: str,
    sender: str,
    recipients: Sequence[str],
    text: str,
    html: str,
    attachments: Sequence[Attachment] = (),
    date: datetime | None = None,
    cc: Sequence[str] = (),
) -> EmailMessage:
    """The report as one message: plain text and HTML as alternatives (so every mail client
    shows one of them), inside multipart/mixed when files are attached.

    Headers are checked rather than cleaned: a line break in the subject or a file name is
    a UsageError, since quietly changing what the user wrote would hide the problem. A
    naive ``date`` is taken as local time; without one, now.
    """
    _refuse_line_breaks("the subject", subject)
    from_address = _header_mailbox("From", sender)
    to_addresses = [_header_mailbox("To", recipient) for recipient in recipients]
    if not to_addresses:
        raise UsageError("the message has no recipients")
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = from_address
    message["To"] = to_addresses
    if cc:
        message["Cc"] = [_header_mailbox("Cc", copy) for copy in cc]
    message["Subject"] = subject
    message["Date"] = format_datetime(_aware(date or datetime.now()))
    message["Message-ID"] = make_msgid(domain=from_address.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a report
    # quoted-printable keeps the message 7-bit, so a relay without 8BITMIME passes it intact
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        _attach(message, attachment)
    return message


def _header_mailbox(header: str, text: str) -> Address:
    """One address for a header, checked like a command-line address."""
    try:
        return _mailbox(text)
    except ValueError as exc:
        raise UsageError(
            f"{header}: {_quoted(text)} is not a usable email address: {exc}"
        ) from None


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    """Add one file; the name may have umlauts (sent RFC 2231-encoded), not line breaks."""
    _refuse_line_breaks("the attachment's file name", attachment.filename)
    if not attachment.filename.strip():
        raise UsageError("an attachment has no file name")
    if _MIME_TYPE.fullmatch(attachment.mime_type) is None:
        raise ValueError(f"not a MIME type: {attachment.mime_type!r}")
    maintype, subtype = attachment.mime_type.split("/")
    message.add_attachment(
        attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
    )


def _refuse_line_breaks(what: str, text: str) -> None:
    """A UsageError for control characters in a header value: a line break there would end
    the header and start a new one of the sender's choosing."""
    if any(not char.isprintable() and char != " " for char in text):
        raise UsageError(f"{what} {_quoted(text)} contains a line break or a control character")


def _aware(moment: datetime) -> datetime:
    """A datetime with its offset, a naive one taken as local time (as the user sees it)."""
    return moment if moment.tzinfo is not None else moment.astimezone()


# --- sending --------------------------------------------------------------------------------


def send(
    message: EmailMessage,
    settings: SmtpSettings,
    password: str | None,
    *,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> None:
    """Hand the message to the mail server, encrypted unless the server is this machine.

    Logs in when ``settings.user`` is set. A password without a user is a ConfigError
    rather than ignored: the user meant to log in, and a server refusing to relay later
    would be the harder message to understand. Every failure is a one-line DeliveryError
    naming the server; a STARTTLS server that does not offer STARTTLS is one too, never a
    reason to fall back to clear text. Errors are raised unchained, so no ``smtplib``
    exception (which may hold a server reply to the login) travels with them.
    """
    _refuse_clear_text(settings)
    check_credentials(settings, password)
    context = ssl.create_default_context() if context is None else context
    try:
        refused = _transmit(message, settings, password, timeout, context)
    except (OSError, smtplib.SMTPException, UnicodeError) as exc:
        failure = _failure(exc, settings, password, timeout)
        # the message's own refusal; anything else would fail every message the same way
        failure.whole_server = not isinstance(
            exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)
        )
    else:
        if not refused:
            return
        failure = DeliveryError(
            f"the mail server {_where(settings)} refused some recipients:"
            f" {_refusals(refused, password)}; the others were sent the report"
        )
    raise failure


def check_credentials(settings: SmtpSettings, password: str | None) -> None:
    """Catch a missing, stray or unsendable password before connecting (no message here
    shows the password itself)."""
    if settings.user is None:
        if password is not None:
            raise ConfigError(
                f"{PASSWORD_VAR} is set but there is no user to log in with",
                hint=f"set [email] user or {USER_VAR}, or unset {PASSWORD_VAR} for a server"
                " without login",
            )
        return
    if password is None:
        raise ConfigError(
            f"the mail server login for user {settings.user!r} needs a password:"
            f" set {PASSWORD_VAR}",
            hint="the password is read only from the environment, never from a file"
            " or the command line",
        )
    if not (password.isascii() and settings.user.isascii()):
        raise ConfigError(
            f"the user name and {PASSWORD_VAR} can only contain ASCII characters"
            " (a limit of Python's SMTP login)"
        )


def _transmit(
    message: EmailMessage,
    settings: SmtpSettings,
    password: str | None,
    timeout: float,
    context: ssl.SSLContext,
) -> dict[str, tuple[int, bytes]]:
    """Connect, secure, log in and send; the recipients the server refused."""
    client = _connect(settings, timeout, context)
    try:
        client.ehlo_or_helo_if_needed()
        if settings.tls == "starttls":
            _start_tls(client, settings, context)
        if settings.user is not None and password is not None:
            _log_in(client, settings, settings.user, password)
        refused = client.send_message(message)
    except BaseException:
        client.close()  # no QUIT: after a timeout it would only wait as long again
        raise
    _say_goodbye(client)
    return refused


def _connect(settings: SmtpSettings, timeout: float, context: ssl.SSLContext) -> smtplib.SMTP:
    """An open connection: TLS from the first byte for "ssl", plain until STARTTLS else."""
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    return smtplib.SMTP(settings.host, settings.port, timeout=timeout)


def _start_tls(client: smtplib.SMTP, settings: SmtpSettings, context: ssl.SSLContext) -> None:
    """Switch to TLS, or refuse to go on: without it the login and the report would travel
    in clear text (a server on the way could also strip the offer; the answer is the same)."""
    if not client.has_extn("starttls"):
        raise DeliveryError(
            f"the mail server {_where(settings)} does not offer STARTTLS; not sending the"
            " login and the report in clear text",
            hint='if the server expects TLS from the start, use tls = "ssl" (usually port 465)',
        )
    client.starttls(context=context)
    client.ehlo_or_helo_if_needed()  # the server's offers may change once encrypted


def _log_in(client: smtplib.SMTP, settings: SmtpSettings, user: str, password: str) -> None:
    """Log in, with a clearer message than smtplib's when the server offers no login."""
    if not client.has_extn("auth"):
        raise DeliveryError(
            f"the mail server {_where(settings)} offers no login (AUTH), but [email] user"
            f" is {user!r}",
            hint=f"unset [email] user / {USER_VAR} if this server needs no login",
        )
    client.login(user, password)


def _say_goodbye(client: smtplib.SMTP) -> None:
    """QUIT politely; once the server accepted the message, a failed goodbye changes nothing."""
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


# --- failures -------------------------------------------------------------------------------


def _failure(
    exc: BaseException, settings: SmtpSettings, password: str | None, timeout: float
) -> DeliveryError:
    """The one-line error for a failed delivery: what the server said, or what went wrong
    on the way to it."""
    if isinstance(exc, smtplib.SMTPException):
        return _smtp_failure(exc, settings, password, timeout)
    return _network_failure(exc, settings, timeout)


def _smtp_failure(
    exc: smtplib.SMTPException, settings: SmtpSettings, password: str | None, timeout: float
) -> DeliveryError:
    """A failure the SMTP conversation reported (the server's code and words, scrubbed)."""
    where = _where(settings)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"the mail server {where} rejected the login for user {settings.user!r}"
            f" ({_reply(exc.smtp_code, exc.smtp_error, password)})",
            hint=f"check [email] user (or {USER_VAR}) and {PASSWORD_VAR}",
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryError(
            f"the mail server {where} refused the recipients: {_refusals(exc.recipients, password)}"
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DeliveryError(
            f"the mail server {where} refused the sender {_quoted(str(exc.sender))}"
            f" ({_reply(exc.smtp_code, exc.smtp_error, password)})",
            hint="many servers accept only the login's own address as From",
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return DeliveryError(
            f"the mail server {where} refused the message"
            f" ({_reply(exc.smtp_code, exc.smtp_error, password)})"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(
            f"the mail server {where} answered with an error"
            f" ({_reply(exc.smtp_code, exc.smtp_error, password)})"
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, TimeoutError):
            return _timed_out(settings, timeout)
        return DeliveryError(
            f"the mail server {where} closed the connection unexpectedly",
            hint=_port_hint(settings),
        )
    return DeliveryError(
        f"sending through the mail server {where} failed: {_clean(str(exc), password)}"
    )


def _network_failure(exc: BaseException, settings: SmtpSettings, timeout: float) -> DeliveryError:
    """A failure below SMTP: name lookup, connection, TLS, or time."""
    where = _where(settings)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"the mail server {where} presented a certificate that cannot be trusted:"
            f" {exc.verify_message}",
            hint="[email] host must be the name in the server's certificate; a company"
            " certificate authority must be in the system's trust store",
        )
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(
            f"TLS with the mail server {where} failed ({exc.reason or type(exc).__name__})",
            hint=_port_hint(settings),
        )
    if isinstance(exc, TimeoutError):
        return _timed_out(settings, timeout)
    if isinstance(exc, socket.gaierror):
        return DeliveryError(
            f"cannot find the mail server {settings.host!r}: {exc.strerror}",
            hint=f"check [email] host or {HOST_VAR}",
        )
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryError(
            f"cannot reach the mail server {where}: connection refused",
            hint=f"check [email] host and port (or {HOST_VAR} and {PORT_VAR})",
        )
    if isinstance(exc, OSError):
        return DeliveryError(
            f"the connection to the mail server {where} failed:"
            f" {(exc.strerror or type(exc).__name__).lower()}"
        )
    return DeliveryError(  # a UnicodeError: its text would quote what could not be encoded
        f"sending through the mail server {where} failed: text that could not be encoded"
    )


def _timed_out(settings: SmtpSettings, timeout: float) -> DeliveryError:
    """Waiting longer than ``timeout`` for the server, at any step."""
    return DeliveryError(
        f"the mail server {_where(settings)} did not answer within {timeout:g} s",
        hint=_port_hint(settings),
    )


def _port_hint(settings: SmtpSettings) -> str | None:
    """The common mix-up behind a stalled or garbled start: the TLS mode of the other port."""
    if settings.tls == "starttls" and settings.port == 465:
        return 'port 465 usually expects tls = "ssl"'
    if settings.tls == "ssl" and settings.port in (25, 587):
        return f'port {settings.port} usually expects tls = "starttls"'
    return None


def _where(settings: SmtpSettings) -> str:
    """``host:port``, with an IPv6 address in brackets so the port stays readable."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def _refusals(refused: Mapping[str, tuple[int, bytes | str]], password: str | None) -> str:
    """Who the server refused and why, the first few by name."""
    named = [
        f"{_shown(address)} ({_reply(code, reply, password)})"
        for address, (code, reply) in list(refused.items())[:_REFUSALS_SHOWN]
    ]
    more = len(refused) - len(named)
    return ", ".join(named) + (f" and {more} more" if more else "")


def _reply(code: int, text: bytes | str, password: str | None) -> str:
    """A server reply as ``code text`` on one line, without the password."""
    return f"{code} {_clean(text, password)}".strip()


def _clean(text: bytes | str, password: str | None) -> str:
    """Server words fit for a one-line message: decoded, on one line, bounded, and with the
    password blanked should the server ever echo it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    if password:
        text = text.replace(password, "***")
    return text if len(text) <= _REPLY_MAX else text[: _REPLY_MAX - 1] + "…"
