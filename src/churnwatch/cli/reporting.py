"""``churnwatch report``: the weekly report, written to files and/or sent by e-mail."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from churnwatch.cli.scanning import HistoryOption, LangOption, NoHistoryOption, OutputOption
from churnwatch.cli.shell import (
    AsOfOption,
    ConfigOption,
    EngineOption,
    Exports,
    PartitionsOption,
    QuietOption,
    SchedulerOption,
    VerboseOption,
    WorkersOption,
    app,
    emit,
    emit_files,
    handles_errors,
    message,
    progress_display,
    refuse_binary_on_terminal,
    report_problems,
)
from churnwatch.core.errors import DeliveryError, UsageError
from churnwatch.core.paths import open_descriptor
from churnwatch.core.words import plural
from churnwatch.render.formats import extension_mismatch
from churnwatch.render.report_formats import REPORT_FORMATS

if TYPE_CHECKING:
    from churnwatch.api import Mail, ReportDocument, ReportRun

    ReportFormat: TypeAlias = str
    SplitBy: TypeAlias = str
else:  # choices for Typer, from the report format registry
    ReportFormat = Literal[tuple(REPORT_FORMATS)]
    SplitBy = Literal["owner"]


@app.command()
@handles_errors
def report(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    output: OutputOption = None,
    output_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="html, md, txt or xlsx (default: from --output, else txt on the terminal).",
        ),
    ] = None,
    lang: LangOption = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", metavar="NAME", help="Only this account manager's customers."),
    ] = None,
    split_by: Annotated[
        SplitBy | None,
        typer.Option(
            "--split-by",
            help="owner: one report per account manager, each with only their customers"
            " (files named after the owner beside --output).",
        ),
    ] = None,
    history: HistoryOption = None,
    email_to: Annotated[
        str | None,
        typer.Option(
            "--email-to",
            metavar="ADDR[,ADDR]",
            help="Send the report to these addresses (with --split-by owner: a copy of each).",
        ),
    ] = None,
    email_owners: Annotated[
        bool,
        typer.Option(
            "--email-owners",
            help="With --split-by owner: send each owner's report to the owner's address"
            " (owner_email in the customers export).",
        ),
    ] = False,
    email_from: Annotated[
        str | None,
        typer.Option(
            "--email-from", metavar="ADDR", help="Sender (default: [email] from in the config)."
        ),
    ] = None,
    attach_xlsx: Annotated[
        bool, typer.Option("--attach-xlsx", help="Attach the report as an xlsx workbook.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Write each message as an .eml file beside --output (or to stdout) instead of"
            " sending it.",
        ),
    ] = False,
    no_history: NoHistoryOption = False,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    partitions: PartitionsOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """The weekly report: what changed since the last recorded run, the customers most at
    risk with the next contact, win-back, returners, the loyal core, phases, the risk trend,
    how earlier warnings came true, and data quality."""
    from churnwatch import api

    if owner and split_by:
        raise UsageError("--owner and --split-by owner exclude each other")
    if email_owners and not split_by:
        raise UsageError("--email-owners needs --split-by owner")
    mailing = bool(email_to or email_owners)
    recipients = _addresses(email_to)
    if mailing:
        api.check_mail_settings(exports, config, email_from, dry_run=dry_run)
    fmt = _format(output_format, output)
    if not mailing:
        refuse_binary_on_terminal(REPORT_FORMATS[fmt].binary, output)
    mismatch = extension_mismatch(REPORT_FORMATS[fmt], output, REPORT_FORMATS)
    if mismatch and not quiet:
        message("note", "yellow", mismatch)
    _check_targets(output, split=bool(split_by), mailing=mailing, dry_run=dry_run)
    runs_on = api.engine(engine, scheduler, partitions, workers)
    with progress_display(quiet) as step:
        found = api.report_exports(
            exports,
            config,
            as_of,
            step,
            history=history,
            owner=owner,
            split_by_owner=split_by == "owner",
            record=not (no_history or dry_run),  # a dry run only reads the history
            engine=runs_on,
        )
    if not quiet:
        report_problems(found.run.data_problems(), found.run.unusable())
        for doubt in found.doubts:
            message("warning", "yellow", doubt)
        if found.unassigned:
            message(
                "note",
                "yellow",
                f"{plural(found.unassigned, 'customer')} without an owner are in no owner's report",
            )
    views = api.report_views(found, api.output_language(found.run.config, lang))
    composed = None
    if mailing:  # composed first: a message that cannot be made stops before any file
        composed = api.report_mails(
            found,
            views,
            to=recipients,
            to_owners=email_owners,
            sender=email_from,
            attach_xlsx=attach_xlsx,
        )
    if output is not None or not mailing:
        documents = api.render_reports(views, fmt)
        binary = REPORT_FORMATS[fmt].binary
        _write(documents, binary, output, found, config, verbose, split=found.split)
    # A dry run, or a mail not delivered, leaves the history as it was: recorded, the run
    # would be the next report's baseline, and what it found new would never be sent.
    record_to = found.history if found.record and not dry_run else None
    if composed is not None:
        _mail(found, composed, dry_run, output, quiet=quiet, recording=record_to is not None)
    if record_to is not None:
        api.record_run(found.run, record_to)


def _check_targets(output: Path | None, *, split: bool, mailing: bool, dry_run: bool) -> None:
    """Before any work: a place for every file the run writes. ``--dry-run`` writes each
    message beside the report, as ``-o``'s name with ``.eml``: a report named ``.eml`` was
    overwritten by the message, and ``-o /dev/stdout`` wrote ``/dev/stdout.eml``."""
    if split and output is None and (not mailing or dry_run):
        raise UsageError(
            "--split-by owner writes one file per owner",
            hint="pass --output FILE: each owner's file is named after FILE"
            " (weekly.html → weekly-anna-schmidt.html)",
        )
    if not (mailing and dry_run and output is not None):
        return
    if output.suffix.lower() == ".eml":
        raise UsageError(
            f"--dry-run writes the messages as {output.name} (-o's name with .eml), which is"
            " the report's own file",
            hint="give the report another extension (weekly.html: messages weekly.eml)",
        )
    if open_descriptor(output) is not None or (output.exists() and not output.is_file()):
        raise UsageError(
            f"--dry-run writes the messages beside the report, as -o's name with .eml:"
            f" {output} is no file to write beside",
            hint="pass -o FILE, or leave -o out to print a single message",
        )


def _addresses(text: str | None) -> list[str]:
    from churnwatch import api

    return api.email_addresses(text) if text else []


def _format(explicit: str | None, output: Path | None) -> str:
    """``--format``, else the output's extension, else plain text."""
    if explicit is not None:
        return explicit
    if output is None:
        return "txt"
    suffix = output.suffix.lower()
    for name, renderer in REPORT_FORMATS.items():
        if suffix in renderer.extensions:
            return name
    known = ", ".join(ext for f in REPORT_FORMATS.values() for ext in f.extensions)
    raise UsageError(
        f"{output}: cannot tell the report format from '{output.suffix or 'no extension'}'",
        hint=f"use one of {known} or pass --format",
    )


def _write(  # noqa: PLR0917  (a private step of one command)
    documents: list[ReportDocument],
    binary: bool,
    output: Path | None,
    found: ReportRun,
    config: Path | None,
    verbose: bool,
    *,
    split: bool,
) -> None:
    """Each report to its file (atomically), or the one report to stdout."""
    from churnwatch import api

    if output is None:
        (document,) = documents
        emit(document.data, None, binary=binary)
        return
    reads = [*api.files_read(found.exports, config), *([found.history] if found.history else [])]
    if not split:
        (document,) = documents
        emit(document.data, output, reads=reads, announce=verbose, binary=binary)
        return
    targets = api.report_targets(output, [d.owner for d in documents], split=split)
    emit_files(
        [(target, d.data) for target, d in zip(targets, documents, strict=True)],
        reads=reads,
        announce=verbose,
    )


def _mail(
    found: ReportRun,
    composed: tuple[list[Mail], list[str]],
    dry_run: bool,
    output: Path | None,
    *,
    quiet: bool = False,
    recording: bool = False,
) -> None:
    """Send the messages (or write them with ``--dry-run``); say who got mail (unless
    ``quiet``) and who did not, and exit 2 when anyone did not (``recording``: the run was
    to be recorded, which it then is not). ``composed``: the messages, and the owners
    without one."""
    from churnwatch import api

    mails, missing = composed
    if dry_run:
        _write_messages(mails, output, announce=not quiet)
        failures = []
    else:
        sent = api.send_mails(mails, found.run.config)
        failures = [f"{_who(s.mail)}: {s.error}" for s in sent if s.error]
        delivered = [_who(s.mail) for s in sent if s.error is None]
        if delivered and not quiet:
            message("sent", "green", ", ".join(delivered))
    failures += missing
    if failures:
        for line in failures:
            message("not sent", "red", line)
        written = "; the report files were written" if output is not None else ""
        kept = (
            "; the run was not recorded, so the next report compares with the last one delivered"
            if recording
            else ""
        )
        raise DeliveryError(
            f"{plural(len(failures), 'report')} not delivered (above){written}{kept}"
        )


def _who(mail: Mail) -> str:
    """``Anna Schmidt <anna@…>``: the owner's name once, where the address already carries
    it too (``Lukas Fischer <Lukas Fischer <lukas@…>>`` was said)."""
    names = ", ".join(mail.recipients)
    return f"{mail.owner} <{names}>" if mail.owner and mail.owner not in names else names


def _write_messages(mails: list[Mail], output: Path | None, *, announce: bool) -> None:
    from churnwatch import api

    if output is None:
        if len(mails) != 1:
            raise UsageError("--dry-run with several messages needs --output FILE")
        emit(api.message_bytes(mails[0]), None)
        return
    owners = [mail.owner for mail in mails]
    targets = api.report_targets(output.with_suffix(".eml"), owners, split=len(mails) > 1)
    messages = [api.message_bytes(mail) for mail in mails]
    emit_files(list(zip(targets, messages, strict=True)), announce=announce)
