"""Sending the report by email: settings, addresses, the message, and a real SMTP server.

The servers are aiosmtpd on 127.0.0.1 with a certificate from a throwaway CA (trustme), so
STARTTLS, implicit TLS, the login and every failure run over real sockets.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import re
import socket
import ssl
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from churnwatch.config import Email
from churnwatch.core.errors import ConfigError, DeliveryError, UsageError
from churnwatch.deliver.mail import (
    Attachment,
    SmtpSettings,
    compose,
    parse_addresses,
    send,
    smtp_password,
    smtp_settings,
)

USER = "anna"
PASSWORD = "Quokka-7431-Zebrafink"
"""Distinctive, so any leak into an error, a log or the terminal is found by a plain search."""

SUBJECT = "Kündigungsrisiko – Wöchentlicher Bericht"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = b"PK\x03\x04 not really a workbook \x00\xff\xfe"


# --- the test server ------------------------------------------------------------------------


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: bytes | None
    encrypted: bool


@dataclass
class Inbox:
    """aiosmtpd handler: keeps what arrives; refuses recipients at ``refuse_domain`` and,
    with ``data_reply``, the message itself."""

    refuse_domain: str | None = None
    data_reply: str | None = None
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (the name aiosmtpd calls)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_domain and address.endswith("@" + self.refuse_domain):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (the name aiosmtpd calls)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        assert isinstance(envelope.content, bytes)
        assert server.transport is not None
        auth = session.auth_data
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=email.message_from_bytes(envelope.content, policy=email.policy.default),
                login=auth.login if isinstance(auth, LoginPassword) else None,
                encrypted=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"


def one_user(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept USER with PASSWORD, nobody else."""
    good = isinstance(auth_data, LoginPassword) and auth_data == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False, auth_data=auth_data)


@dataclass
class Server:
    inbox: Inbox
    port: int


def free_port() -> int:
    """A port nothing listens on (the OS picks it; closed again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """What a client that trusts the test CA (and nothing else) uses."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies host names, trusts no one yet
    ca.configure_trust(context)
    return context


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start aiosmtpd on 127.0.0.1 with the given SMTP options; stopped after the test."""
    controllers: list[Controller] = []

    def start(inbox: Inbox | None = None, **options: Any) -> Server:
        inbox = Inbox() if inbox is None else inbox
        port = free_port()
        controller = Controller(
            inbox, hostname="127.0.0.1", port=port, server_hostname="localhost", **options
        )
        controller.start()
        controllers.append(controller)
        return Server(inbox, port)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def starttls_server(serve: Callable[..., Server], server_tls: ssl.SSLContext) -> Server:
    """A submission server: STARTTLS required, login only once encrypted."""
    return serve(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=one_user,
        auth_require_tls=True,
    )


def settings(port: int, tls: str = "starttls", user: str | None = USER) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        tls=tls,  # type: ignore[arg-type]
        user=user,
        sender="churnwatch@firma.de",
    )


def report(**changes: Any) -> EmailMessage:
    parts: dict[str, Any] = {
        "subject": SUBJECT,
        "sender": "Churnwatch <churnwatch@firma.de>",
        "recipients": ["Anna Müller <anna@firma.de>", "ben@vertrieb.de"],
        "text": "Guten Morgen,\n\n3 Kunden mit hohem Risiko, darunter Müller GmbH.\n",
        "html": "<p>Guten Morgen,</p><p>3 Kunden mit hohem Risiko, darunter Müller GmbH.</p>",
    }
    return compose(**(parts | changes))


def assert_secret_kept(error: BaseException, secret: str, *captured: str) -> None:
    """The secret is nowhere in the error (message, hint, repr, traceback), nothing is
    chained to it, and it is absent from whatever the test captured."""
    texts = [
        str(error),
        repr(error),
        repr(error.args),
        str(getattr(error, "hint", "")),
        "".join(traceback.format_exception(error)),
        *captured,
    ]
    assert not [text for text in texts if secret in text]
    assert error.__cause__ is None
    assert error.__context__ is None


# --- delivery through a real server ---------------------------------------------------------


def test_starttls_with_login_delivers_the_report(
    starttls_server: Server,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    sheet = Attachment("Kündigungsrisiko 2024-W18.xlsx", SHEET, XLSX)

    send(report(attachments=[sheet]), settings(starttls_server.port), PASSWORD, context=client_tls)

    [got] = starttls_server.inbox.received
    assert got.encrypted
    assert got.login == USER.encode()
    assert got.mail_from == "churnwatch@firma.de"
    assert got.rcpt_tos == ["anna@firma.de", "ben@vertrieb.de"]
    message = got.message
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].addr_spec == "churnwatch@firma.de"
    assert [a.display_name for a in message["To"].addresses] == ["Anna Müller", ""]
    assert [a.addr_spec for a in message["To"].addresses] == ["anna@firma.de", "ben@vertrieb.de"]
    assert message.get_content_type() == "multipart/mixed"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and "Müller GmbH" in plain.get_content()
    assert html is not None and "<p>3 Kunden mit hohem Risiko, darunter Müller GmbH.</p>" in (
        html.get_content()
    )
    [attached] = message.iter_attachments()
    assert attached.get_filename() == "Kündigungsrisiko 2024-W18.xlsx"
    assert attached.get_content_type() == XLSX
    assert attached.get_content() == SHEET
    out, err = capsys.readouterr()
    assert PASSWORD not in caplog.text + out + err


def test_implicit_tls_delivers(
    serve: Callable[..., Server], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    # the connection is TLS from the first byte, which aiosmtpd's auth_require_tls only
    # recognises for STARTTLS; so it is off here
    server = serve(ssl_context=server_tls, authenticator=one_user, auth_require_tls=False)

    send(report(), settings(server.port, tls="ssl"), PASSWORD, context=client_tls)

    [got] = server.inbox.received
    assert got.encrypted
    assert got.login == USER.encode()
    assert got.message["Subject"] == SUBJECT


def test_local_relay_without_tls_or_login(serve: Callable[..., Server]) -> None:
    server = serve()
    config = Email(host="127.0.0.1", port=server.port, tls="none")

    send(report(), smtp_settings(config, {}), None)

    [got] = server.inbox.received
    assert not got.encrypted
    assert got.login is None
    message = got.message
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert all("Müller GmbH" in part.get_content() for part in message.iter_parts())
    assert list(message.iter_attachments()) == []


# --- delivery failures ----------------------------------------------------------------------


def test_refused_connection() -> None:
    port = free_port()

    with pytest.raises(DeliveryError) as caught:
        send(report(), settings(port, tls="none", user=None), None)

    assert str(caught.value).startswith(
        f"cannot reach the mail server 127.0.0.1:{port}: connection refused"
    )


def test_rejected_login_keeps_the_password_secret(
    starttls_server: Server,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wrong-Okapi-9922-Secret"

    with pytest.raises(DeliveryError) as caught:
        send(report(), settings(starttls_server.port), wrong, context=client_tls)

    message = str(caught.value)
    assert f"the mail server 127.0.0.1:{starttls_server.port} rejected the login" in message
    assert "for user 'anna' (535" in message
    out, err = capsys.readouterr()
    assert_secret_kept(caught.value, wrong, caplog.text, out, err)
    assert starttls_server.inbox.received == []


def test_no_starttls_offered_is_not_a_reason_for_clear_text(
    serve: Callable[..., Server], client_tls: ssl.SSLContext
) -> None:
    server = serve()  # no tls_context: the server never offers STARTTLS

    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        send(report(), settings(server.port), PASSWORD, context=client_tls)

    assert server.inbox.received == []


def test_untrusted_certificate(starttls_server: Server) -> None:
    # the system's default trust store does not know the test CA
    with pytest.raises(DeliveryError) as caught:
        send(
            report(), settings(starttls_server.port), PASSWORD, context=ssl.create_default_context()
        )

    assert "presented a certificate that cannot be trusted" in str(caught.value)
    assert starttls_server.inbox.received == []


def test_all_recipients_refused(serve: Callable[..., Server]) -> None:
    server = serve(Inbox(refuse_domain="firma.de"))
    message = report(recipients=["anna@firma.de", "carl@firma.de"])

    with pytest.raises(DeliveryError) as caught:
        send(message, settings(server.port, tls="none", user=None), None)

    assert str(caught.value) == (
        f"the mail server 127.0.0.1:{server.port} refused the recipients:"
        " anna@firma.de (550 5.1.1 no such mailbox here),"
        " carl@firma.de (550 5.1.1 no such mailbox here)"
    )
    assert not caught.value.whole_server  # this message's: the next may still go


def test_a_server_that_fails_every_message_is_tried_once_with_its_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hung server cost its timeout for every owner's message (8 owners: 4 minutes), and
    the 'not sent' lines left out the hints (what to fix) the errors carry."""
    from churnwatch import api
    from churnwatch.config import Config

    port = free_port()
    for name in ("CHURNWATCH_SMTP_HOST", "CHURNWATCH_SMTP_PORT", "CHURNWATCH_SMTP_TLS"):
        monkeypatch.delenv(name, raising=False)
    config = Config(email=Email(host="127.0.0.1", port=port, tls="none"))
    mails = [api.Mail(owner, [f"{owner}@example.com"], report()) for owner in ("a", "b", "c")]
    tried: list[object] = []

    def counted(*args: Any, **kwargs: Any) -> None:
        tried.append(args[0])
        send(*args, **kwargs)

    monkeypatch.setattr("churnwatch.deliver.mail.send", counted)
    sent = api.send_mails(mails, config)
    assert len(tried) == 1
    first, *rest = (outcome.error or "" for outcome in sent)
    assert first.startswith(f"cannot reach the mail server 127.0.0.1:{port}: connection refused")
    assert "(hint: check [email] host and port" in first
    assert (
        rest
        == [f"not tried: cannot reach the mail server 127.0.0.1:{port}: connection refused"] * 2
    )


def test_some_recipients_refused(serve: Callable[..., Server]) -> None:
    server = serve(Inbox(refuse_domain="vertrieb.de"))

    with pytest.raises(DeliveryError) as caught:
        send(report(), settings(server.port, tls="none", user=None), None)

    assert "refused some recipients: ben@vertrieb.de (550" in str(caught.value)
    assert "the others were sent the report" in str(caught.value)
    [got] = server.inbox.received
    assert got.rcpt_tos == ["anna@firma.de"]


def test_message_refused(serve: Callable[..., Server]) -> None:
    server = serve(Inbox(data_reply="552 5.3.4 message too big"))

    with pytest.raises(DeliveryError, match=r"refused the message \(552 5\.3\.4 message too big\)"):
        send(report(), settings(server.port, tls="none", user=None), None)


def test_server_without_login(serve: Callable[..., Server]) -> None:
    server = serve()  # no authenticator, no TLS: AUTH is never offered

    with pytest.raises(DeliveryError, match=r"offers no login \(AUTH\)") as caught:
        send(report(), settings(server.port, tls="none"), PASSWORD)

    assert_secret_kept(caught.value, PASSWORD)


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (backlog), never says hello
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        with pytest.raises(DeliveryError) as caught:
            send(report(), settings(port, tls="none", user=None), None, timeout=0.2)

    assert str(caught.value) == f"the mail server 127.0.0.1:{port} did not answer within 0.2 s"


def test_server_hanging_up() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        listener.settimeout(5)  # never blocks the run should the client not come

        def hang_up() -> None:
            with contextlib.suppress(OSError):
                connection, _ = listener.accept()
                connection.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        with pytest.raises(DeliveryError, match="closed the connection unexpectedly"):
            send(report(), settings(port, tls="none", user=None), None, timeout=5)
        thread.join()


def test_login_without_password_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="set CHURNWATCH_SMTP_PASSWORD"):
        send(report(), settings(free_port()), None)


def test_password_without_user_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no user to log in with") as caught:
        send(report(), settings(free_port(), user=None), PASSWORD)
    assert_secret_kept(caught.value, PASSWORD)


def test_non_ascii_password_is_refused_without_showing_it() -> None:
    secret = "Grüne-Quokka-Straße"

    with pytest.raises(ConfigError, match="only contain ASCII") as caught:
        send(report(), settings(free_port()), secret)

    assert_secret_kept(caught.value, secret)


def test_send_refuses_clear_text_to_another_machine() -> None:
    remote = SmtpSettings("smtp.example.com", 25, "none", None, None)

    with pytest.raises(ConfigError, match="clear text"):
        send(report(), remote, None)


# --- settings -------------------------------------------------------------------------------


def test_settings_from_the_config() -> None:
    config = Email(host="smtp.firma.de", port=2525, tls="ssl", user=USER, **{"from": "cw@firma.de"})

    assert smtp_settings(config, {}) == SmtpSettings(
        "smtp.firma.de", 2525, "ssl", USER, "cw@firma.de"
    )


def test_environment_overrides_the_config() -> None:
    config = Email.model_validate(
        {"host": "smtp.firma.de", "port": 2525, "tls": "ssl", "user": USER, "from": "cw@firma.de"}
    )
    environ = {
        "CHURNWATCH_SMTP_HOST": "mail.example.org",
        "CHURNWATCH_SMTP_PORT": "587",
        "CHURNWATCH_SMTP_TLS": "STARTTLS",
        "CHURNWATCH_SMTP_USER": "ben",
        "CHURNWATCH_SMTP_FROM": "Berichte <berichte@example.org>",
    }

    assert smtp_settings(config, environ) == SmtpSettings(
        "mail.example.org", 587, "starttls", "ben", "Berichte <berichte@example.org>"
    )


def test_empty_environment_variables_count_as_unset() -> None:
    config = Email(host="smtp.firma.de", user=USER)
    environ = {"CHURNWATCH_SMTP_HOST": "", "CHURNWATCH_SMTP_PORT": " ", "CHURNWATCH_SMTP_USER": ""}

    assert smtp_settings(config, environ) == SmtpSettings(
        "smtp.firma.de", 587, "starttls", USER, None
    )


@pytest.mark.parametrize(
    ("host", "tls", "port"),
    [
        ("smtp.firma.de", None, 587),
        ("smtp.firma.de", "starttls", 587),
        ("smtp.firma.de", "ssl", 465),
        ("localhost", "none", 25),
    ],
)
def test_port_defaults_by_tls(host: str, tls: str | None, port: int) -> None:
    chosen = smtp_settings(Email.model_validate({"host": host, "tls": tls}), {})

    assert (chosen.tls, chosen.port) == (tls or "starttls", port)


def test_no_host_anywhere() -> None:
    with pytest.raises(ConfigError) as caught:
        smtp_settings(Email(), {})

    assert "[email] host" in str(caught.value)
    assert "CHURNWATCH_SMTP_HOST" in str(caught.value)


def test_host_with_a_port_is_refused() -> None:
    with pytest.raises(ConfigError, match="includes a port"):
        smtp_settings(Email(host="smtp.firma.de:587"), {})


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.53", "::1"])
def test_tls_none_for_this_machine(host: str) -> None:
    assert smtp_settings(Email(host=host, tls="none"), {}).tls == "none"


@pytest.mark.parametrize("host", ["smtp.firma.de", "192.168.1.10", "localhost.firma.de", "::2"])
def test_tls_none_refused_for_another_machine(host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        smtp_settings(Email(host=host, tls="none"), {})

    message = str(caught.value)
    assert f"not {host}" in message
    assert "the password and the report would cross the network in clear text" in message
    assert "starttls" in message
    assert "ssl" in message


def test_tls_none_from_the_environment_is_refused_too() -> None:
    environ = {"CHURNWATCH_SMTP_TLS": "none"}

    with pytest.raises(ConfigError, match="clear text"):
        smtp_settings(Email(host="smtp.firma.de"), environ)


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "5 87", "587.0", "٥٨٧"])
def test_bad_port_variable(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        smtp_settings(Email(host="smtp.firma.de"), {"CHURNWATCH_SMTP_PORT": value})

    assert str(caught.value).startswith(
        "CHURNWATCH_SMTP_PORT must be a port number from 1 to 65535"
    )


def test_bad_tls_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        smtp_settings(Email(host="smtp.firma.de"), {"CHURNWATCH_SMTP_TLS": "tls"})

    assert str(caught.value) == "CHURNWATCH_SMTP_TLS must be one of starttls, ssl, none, not 'tls'"


def test_bad_sender_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^CHURNWATCH_SMTP_FROM: 'berichte\(at\)firma.de'"):
        smtp_settings(Email(host="smtp.firma.de"), {"CHURNWATCH_SMTP_FROM": "berichte(at)firma.de"})


def test_password_only_from_its_variable() -> None:
    assert smtp_password({"CHURNWATCH_SMTP_PASSWORD": PASSWORD}) == PASSWORD
    assert smtp_password({"CHURNWATCH_SMTP_PASSWORD": " spaced "}) == " spaced "
    assert smtp_password({"CHURNWATCH_SMTP_PASSWORD": ""}) is None
    assert smtp_password({"SMTP_PASSWORD": PASSWORD}) is None


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("a@x.de, b@y.de", ["a@x.de", "b@y.de"]),
        ("a@x.de;b@y.de;", ["a@x.de", "b@y.de"]),
        ("  a@x.de  ", ["a@x.de"]),
        ("Anna Müller <anna@x.de>", ["Anna Müller <anna@x.de>"]),
        ('"Müller, Anna" <anna@x.de>, ben@y.de', ['"Müller, Anna" <anna@x.de>', "ben@y.de"]),
        ("Zoë Ångström <zoe@x.de>", ["Zoë Ångström <zoe@x.de>"]),
        (r'"Anna \"Ani\" Müller" <anna@x.de>', [r'"Anna \"Ani\" Müller" <anna@x.de>']),
        ("<anna@x.de>", ["anna@x.de"]),
        ("a@x.de, A@X.DE", ["a@x.de"]),
        ("vertrieb+churn@sub.firma.co.uk", ["vertrieb+churn@sub.firma.co.uk"]),
        ("ops@localhost", ["ops@localhost"]),
        ("info@bäckerei-müller.de", ["info@xn--bckerei-mller-bfb28a.de"]),
    ],
)
def test_good_addresses(text: str, addresses: list[str]) -> None:
    assert parse_addresses(text) == addresses


@pytest.mark.parametrize(
    ("text", "shown", "reason"),
    [
        ("a@x.de, annax.de", "'annax.de'", "exactly one @"),
        ("a@b@x.de", "'a@b@x.de'", "exactly one @"),
        ("anna@firma", "'anna@firma'", "a domain such as example.com"),
        ("anna@firma.", "'anna@firma.'", "a domain such as example.com"),
        ("@firma.de", "'@firma.de'", "nothing before the @"),
        ("anna mueller@x.de", "'anna mueller@x.de'", "blanks"),
        ("jörg@x.de", "'jörg@x.de'", "letters such as ä"),
        ("anna.@x.de", "'anna.@x.de'", "dot"),
        ("Anna <anna@x.de", "'Anna <anna@x.de'", "Anna Müller <anna@example.com>"),
        ('"Anna <anna@x.de>, b@y.de', "'\"Anna <anna@x.de>, b@y.de'", "Anna Müller <"),
    ],
)
def test_bad_addresses(text: str, shown: str, reason: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_addresses(text)

    message = str(caught.value)
    assert message.startswith(f"--email-to: {shown} is not a usable email address")
    assert reason in message


@pytest.mark.parametrize(
    "text",
    [
        "anna@x.de\r\nBcc: everyone@rival.de",
        "anna@x.de\nBcc: everyone@rival.de",
        "Anna\r\n <anna@x.de>",
        "anna@x.de\x00",
        "anna@x.de\u2028Bcc: everyone@rival.de",
    ],
)
def test_line_breaks_cannot_inject_headers(text: str) -> None:
    with pytest.raises(UsageError, match="line break") as caught:
        parse_addresses(text, option="--email-cc")

    message = str(caught.value)
    assert message.startswith("--email-cc: '")
    assert "\r" not in message
    assert "\n" not in message


def test_nothing_to_send_to() -> None:
    for text in ["", " ", ", ;"]:
        with pytest.raises(UsageError, match="no email address given"):
            parse_addresses(text)


def test_a_very_long_address_is_shortened_in_the_message() -> None:
    with pytest.raises(UsageError) as caught:
        parse_addresses("x" * 500 + "@x.de")

    assert len(str(caught.value)) < 250
    assert "xxx…'" in str(caught.value)


# --- the message ----------------------------------------------------------------------------


def test_composed_message_headers_and_serialisation() -> None:
    date = datetime(2024, 5, 6, 7, 30, tzinfo=timezone(timedelta(hours=2)))

    message = report(date=date)

    assert message["Subject"] == SUBJECT
    assert message["Date"] == "Mon, 06 May 2024 07:30:00 +0200"
    assert message["Message-ID"].endswith("@firma.de>")
    assert message["Auto-Submitted"] == "auto-generated"
    raw = bytes(message)
    assert raw.isascii()
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT
    assert parsed["To"] == "Anna Müller <anna@firma.de>, ben@vertrieb.de"


@pytest.mark.parametrize(
    "subject",
    [
        "Churn warning 2026-09-30: 2 customers on the warning list · Chloé Martin",
        "Abwanderungswarnung 30.09.2026: 12 Kunden auf der Warnliste, 3 neu · Jürgen Köhler",
        "Abwanderungswarnung 30.09.2026: Großhandel für Bürobedarf Süd · Müller-Lüdenscheidt"
        " GmbH & Co. KG · Jürgen Köhler · Zoë Ødegård",
    ],
)
def test_a_long_subject_with_accented_names_reads_as_written(subject: str) -> None:
    """Folded at 78 characters, Python split the name into encoded words and dropped the
    blanks between them: readers saw "list ·Chloé" and "JürgenKöhler"."""
    raw = bytes(report(subject=subject))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == subject
    folded = raw[raw.index(b"Subject:") :].split(b"\r\n")
    header = folded[: 1 + next(i for i, line in enumerate(folded[1:]) if line[:1] != b" ")]
    assert all(len(line) <= 78 for line in header), header  # RFC 2047's limits
    assert all(len(word) <= 75 for word in re.findall(rb"=\?[^?]+\?[qb]\?[^?]*\?=", raw))


def test_naive_date_is_local_time() -> None:
    message = report(date=datetime(2024, 5, 6, 7, 30))

    assert message["Date"].datetime.replace(tzinfo=None) == datetime(2024, 5, 6, 7, 30)
    assert message["Date"].datetime.tzinfo is not None


def test_default_date_is_now() -> None:
    sent = report()["Date"].datetime

    assert abs(sent - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("subject", ["Bericht\r\nBcc: everyone@rival.de", "Bericht\nX: y"])
def test_subject_with_a_line_break_is_refused(subject: str) -> None:
    with pytest.raises(UsageError, match=r"the subject .* contains a line break"):
        report(subject=subject)


def test_attachment_name_with_a_line_break_is_refused() -> None:
    bad = Attachment("report.xlsx\r\nContent-Type: text/html", SHEET, XLSX)

    with pytest.raises(UsageError, match=r"file name .* contains a line break"):
        report(attachments=[bad])


def test_attachment_needs_a_mime_type() -> None:
    with pytest.raises(ValueError, match="not a MIME type"):
        report(attachments=[Attachment("a.bin", b"", "binary")])


def test_compose_checks_its_addresses() -> None:
    with pytest.raises(UsageError, match="no recipients"):
        report(recipients=[])
    with pytest.raises(UsageError, match=r"^To: 'anna@x\.de\\nBcc: e@r\.de' is not"):
        report(recipients=["anna@x.de\nBcc: e@r.de"])
    with pytest.raises(UsageError, match=r"^From: 'churnwatch' is not a usable email address"):
        report(sender="churnwatch")
