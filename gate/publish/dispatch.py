"""The one entry point the CLI calls: :func:`publish`.

It decides the platform (GitHub Actions, GitLab CI, local), writes CI files, emits workflow
commands, and upserts the sticky comment/note. It never raises for a publishing problem: every
problem becomes a message, and ``ok`` is False when something that was asked for failed. The CLI
exits with the verdict's code unless ``strict and not ok`` (exit 2). Tokens never appear in any
message, file or stream except GitHub's ``::add-mask::`` line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from gate.publish import bodies, files
from gate.publish.environment import (
    GITHUB,
    GITLAB,
    LOCAL,
    GitHubContext,
    GitLabContext,
    detect,
    github_context,
    gitlab_context,
)
from gate.publish.github import FORK_RECIPE, GitHubPublisher, github_client, permission_hint
from gate.publish.gitlab import GitLabPublisher, gitlab_client, setup_hint
from gate.publish.http import HttpError, Redactor
from gate.publish.publication import COMMENT_MODES, Publication
from gate.publish.workflow_commands import Commands
from gate.render.text import one_line


@dataclass
class PublishOutcome:
    """``ok`` is False when something asked for (comment, status, outputs, dotenv) failed.

    ``comment_action`` is ``created``/``updated``/``unchanged``/``stale`` when a comment was handled,
    ``skipped`` when it was not attempted or the comment mode said it was not worth it (the reason is
    in ``messages``), None when commenting was off. ``messages`` are the
    warnings and notes, token-free, in order."""

    ok: bool = True
    platform: str = LOCAL
    comment_url: str | None = None
    comment_action: str | None = None
    status_posted: bool = False
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Net:
    """How to make HTTP calls: injected sleep/clock, retries, timeout, and the secret redactor."""

    sleep: Callable[[float], None]
    clock: Callable[[], float]
    max_retries: int
    timeout: float
    redact: Redactor


class _Reporter:
    def __init__(self, platform: str, commands: Commands, log: TextIO, redact: Redactor,
                 outcome: PublishOutcome) -> None:
        self.platform = platform
        self.commands = commands
        self.log = log
        self.redact = redact
        self.outcome = outcome

    def warn(self, message: str, *, failed: bool = False) -> None:
        message = self.clean(message)
        self.outcome.messages.append(message)
        if failed:
            self.outcome.ok = False
        if self.platform == GITHUB:
            self.commands.warning(message, title="model-gate")
        else:
            self.log.write(f"model-gate: warning: {message}\n")
            self.log.flush()

    def clean(self, message: str) -> str:
        """One line, secrets redacted, invisible characters shown as U+FFFD (messages quote API
        answers and paths; on GitLab and locally they go to the terminal as they are)."""
        return one_line(self.redact(" ".join(message.split())))

    def info(self, message: str) -> None:
        message = self.clean(message)
        self.outcome.messages.append(message)
        line = f"model-gate: {message}\n"
        if self.platform == GITHUB and ("::" in message or "##[" in message):
            # the runner parses stderr too: text quoted from an API must not act as a command
            Commands(self.log).print_untrusted(line)
        else:
            self.log.write(line)
        self.log.flush()


def publish(publication: Publication, *, environ: Mapping[str, str], comment: str,
            status: bool, strict: bool, dotenv_path: str | None, commands_stream: TextIO,
            log_stream: TextIO, comment_key: str | None = None, api_url: str | None = None,
            comment_mode: str = "always",
            sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.time, max_retries: int = 4,
            http_timeout: float = 30.0) -> PublishOutcome:
    """Publish ``publication`` to wherever this process runs.

    ``comment`` is ``"auto"`` (post when a PR/MR context and a usable token exist; never in local
    mode) or ``"off"``; ``comment_mode`` (:data:`COMMENT_MODES`, see :func:`comment_decision`)
    says when a comment is worth posting. ``status`` asks for a GitHub commit status. ``strict`` is accepted so the
    CLI can pass it through; the exit decision stays with the CLI (``strict and not outcome.ok``).
    ``sleep``/``clock`` are injectable so tests never wait.
    """
    del strict  # the CLI applies it; kept in the signature for symmetry with --strict-publish
    platform = detect(environ)
    outcome = PublishOutcome(platform=platform)
    redact = Redactor([environ.get("INPUT_GITHUB_TOKEN"), environ.get("INPUT_GITHUB-TOKEN"),
                       environ.get("GITHUB_TOKEN"), environ.get("MODEL_GATE_GITLAB_TOKEN"),
                       environ.get("GITLAB_TOKEN"), environ.get("CI_JOB_TOKEN")])
    commands = Commands(commands_stream)
    rep = _Reporter(platform, commands, log_stream, redact, outcome)
    if comment_key:
        marker = bodies.marker_for(comment_key)
    else:
        marker = (bodies.body_marker(publication.comment_body)
                  or bodies.marker_for(publication.marker_key))
    if comment not in ("auto", "off"):
        rep.warn(f"unknown comment mode {comment!r}; expected auto or off", failed=True)
        comment = "off"
    if comment_mode not in COMMENT_MODES:
        rep.warn(f"unknown comment mode {comment_mode!r}; expected one of {', '.join(COMMENT_MODES)}",
                 failed=True)
        comment = "off"
    if comment_mode == "off":
        comment = "off"
    net = _Net(sleep, clock, max_retries, http_timeout, redact)
    try:
        if platform == GITHUB:
            _publish_github(publication, environ, _Comment(comment, comment_mode), status,
                            comment_key, marker, api_url, rep, commands, net)
        elif platform == GITLAB:
            if status:
                rep.info("--status posts a GitHub commit status; on GitLab the job status "
                         "and the MR widget already show the result")
            _publish_gitlab(publication, environ, _Comment(comment, comment_mode), marker, api_url,
                            rep, net)
        else:
            if status:
                rep.info("local run: --status needs GitHub Actions; nothing posted")
    except Exception as exc:  # a publisher bug must not turn a verdict into a crash
        rep.warn(f"publishing failed unexpectedly: {type(exc).__name__}: {exc}", failed=True)
    if dotenv_path:
        _write_dotenv(publication, dotenv_path, rep)
    return outcome




@dataclass(frozen=True)
class _Comment:
    """``auto``/``off`` (whether to comment at all) and the mode (when it is worth it)."""

    switch: str
    mode: str

    @property
    def on(self) -> bool:
        return self.switch == "auto"


def comment_decision(pub: Publication, mode: str, previous: str | None) -> str:
    """``""`` when the comment should be posted, else why not. ``always``: every run. ``changed``:
    the first run, then only when the verdict or a gate's status changed (an unreadable previous
    state counts as changed). ``failures``: when a gate failed or is inconclusive; otherwise only an
    existing comment is updated, so it stops showing an old failure."""
    src = pub.source
    if mode == "changed" and previous is not None:
        changed = src.changed(previous) if src is not None else not bodies.same_content(
            previous, pub.comment_body)
        return "" if changed else ("nothing changed since the previous comment (same verdict, every "
                                   "gate's status the same); not updated (--comment-mode changed)")
    if mode == "failures" and previous is None:
        attention = src.attention if src is not None else not pub.passed
        return "" if attention else ("every gate passes and there is no earlier comment to "
                                     "update; not posted (--comment-mode failures)")
    return ""


def body_for(pub: Publication, mode: str, marker: str, stamp: str,
             skipped: list[str]) -> bodies.BodyFor:
    """The publisher's callback: given the comment it found (or None) and the platform's room, the
    body to send (rendered by ``pub.source`` against that comment, marker and run stamp added), or
    None with the reason appended to ``skipped``."""
    def make(previous: str | None, limit: bodies.Limit) -> str | None:
        why = comment_decision(pub, mode, previous)
        if why:
            skipped.append(why)
            return None
        text = pub.comment_body if pub.source is None else pub.source.body(
            previous, max_chars=limit.max_chars, max_bytes=limit.max_bytes)
        return bodies.with_stamp(bodies.with_marker(text, marker), stamp)
    return make


BAD_TOKEN = ("the token holds whitespace or control characters inside it (a secrets file of several "
             "lines?), so it was not sent")


def token_usable(token: str) -> bool:
    """A token can go into an HTTP header as is: printable ASCII without spaces. Surrounding
    whitespace is stripped before (the CI contexts do); whitespace *inside* means a wrong value, and
    sending it would make ``requests`` raise an error that quotes the header, token included."""
    return token.isascii() and token.isprintable() and not any(ch.isspace() for ch in token)


# -- GitHub ------------------------------------------------------------------------------------
def _publish_github(pub: Publication, environ: Mapping[str, str], comment: _Comment, status: bool,
                    status_key: str | None, marker: str, api_url: str | None, rep: _Reporter,
                    commands: Commands, net: _Net) -> None:
    ctx = github_context(environ, api_url)
    if ctx.token:
        commands.add_mask(ctx.token)  # first, before anything could echo it
    complete = _write_summary(pub, environ, rep)
    commands.annotations(pub.annotations, workspace=environ.get("GITHUB_WORKSPACE"), all_gates_in_summary=complete)
    if comment.on or status:
        try:
            _github_writes(pub, ctx, comment, status, status_key, marker, rep, net)
        except Exception as exc:  # a bug or an odd API answer: still write the outputs below
            rep.warn(f"publishing failed unexpectedly: {type(exc).__name__}: {exc}", failed=True)
    _write_outputs(pub, environ, rep)


def _write_summary(pub: Publication, environ: Mapping[str, str], rep: _Reporter) -> bool:
    """Append the job summary, rendered for the room left under 1 MiB (every gate, unless even that
    is too little). True when it holds every gate."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        rep.warn("GITHUB_STEP_SUMMARY is not set; job summary skipped")
        return False
    try:
        room = files.summary_room(path)
        if pub.source is not None:
            text, shortened = pub.source.summary(room)
        else:
            text, shortened = pub.summary_body, False
            if len(text.encode("utf-8")) + 1 > room:
                rep.warn("the job summary does not fit the 1 MiB per-step limit; not written")
                return False
        files.append_step_summary(path, text)
    except OSError as exc:
        rep.warn(f"cannot write the job summary: {exc.strerror or exc}", failed=True)
        return False
    if shortened:
        rep.warn("job summary shortened to stay under GitHub's 1 MiB per-step limit")
    return not shortened


def _write_outputs(pub: Publication, environ: Mapping[str, str], rep: _Reporter) -> None:
    path = environ.get("GITHUB_OUTPUT")
    if not path:
        rep.info("GITHUB_OUTPUT is not set; step outputs not written")
        return
    values = files.step_outputs(pub.verdict, failed_count=pub.failed_count,
                                inconclusive_count=pub.inconclusive_count,
                                report_json=pub.report_json_path or "", comment_url=rep.outcome.comment_url or "")
    values = {k: rep.redact(v) for k, v in values.items()}
    try:
        files.write_github_outputs(path, values)
    except (OSError, files.FileCommandError) as exc:
        rep.warn(f"cannot write step outputs: {exc}", failed=True)


def _github_writes(pub: Publication, ctx: GitHubContext, comment: _Comment, status: bool,
                   status_key: str | None, marker: str, rep: _Reporter, net: _Net) -> None:
    """The PR comment and the commit status, unless :func:`_github_blocked` says they cannot be
    posted (each failure is reported, never raised)."""
    if _github_blocked(ctx, comment, status, rep):
        return
    client = github_client(ctx, sleep=net.sleep, clock=net.clock, redact=net.redact,
                           max_retries=net.max_retries, timeout=net.timeout)
    gh = GitHubPublisher(ctx, client)
    try:
        number, head_sha, why = gh.resolve_pr()
    except HttpError as exc:
        number, head_sha, why = None, ctx.head_sha, f"cannot look up the pull request ({exc})"
    if comment.on:
        _github_comment(pub, gh, number, why, comment, marker, pub.run_stamp or ctx.run_stamp, rep)
    if status:
        _github_status(pub, gh, ctx, head_sha, status_key, rep)


def _github_blocked(ctx: GitHubContext, comment: _Comment, status: bool, rep: _Reporter) -> bool:
    """True (with the warning said) when nothing can be posted: a fork's read-only token, a
    malformed or missing token, or no GITHUB_REPOSITORY. A missing token fails the step only when
    a commit status was asked for."""
    wanted = "comment" if comment.on else "commit status"
    if status and comment.on:
        wanted = "comment and commit status"
    if ctx.writes_blocked:
        problem, failed = (f"{ctx.fork_reason}: the pull_request token is read-only, so the {wanted} "
                           f"cannot be posted (the job summary and outputs are still written); "
                           f"{FORK_RECIPE}"), False
    elif ctx.token and not token_usable(ctx.token):
        problem, failed = f"{BAD_TOKEN} (input github_token / GITHUB_TOKEN); the {wanted} was not posted", True
    elif not ctx.token:
        problem, failed = (f"no GitHub token: set the action input github_token (default "
                           f"${{{{ github.token }}}}) or env GITHUB_TOKEN to post the {wanted}"), status
    elif ctx.owner_repo is None:
        problem, failed = f"GITHUB_REPOSITORY is not set; cannot post the {wanted}", True
    else:
        return False
    rep.outcome.comment_action = "skipped" if comment.on else None
    rep.warn(problem, failed=failed)
    return True


def _github_comment(pub: Publication, gh: GitHubPublisher, number: int | None, why: str, comment: _Comment,
                    marker: str, stamp: str, rep: _Reporter) -> None:
    """Create or update the sticky PR comment (skipped, with the reason, without a pull request)."""
    out = rep.outcome
    if number is None:
        out.comment_action = "skipped"
        rep.info(f"no pull request to comment on: {why}")
        return
    skipped: list[str] = []
    try:
        result = gh.upsert_comment(number, body_for(pub, comment.mode, marker, stamp, skipped), marker, stamp)
    except HttpError as exc:
        out.comment_action = "failed"
        _github_failure(exc, "comment", rep)
        return
    out.comment_action = result.action
    out.comment_url = result.url
    for note in skipped + result.notes:
        rep.info(note)
    rep.info(f"PR #{number} comment {result.action}: {result.url or ''}")


def _github_status(pub: Publication, gh: GitHubPublisher, ctx: GitHubContext, head_sha: str | None,
                   status_key: str | None, rep: _Reporter) -> None:
    """The commit status on the PR head: the verdict's exit code decides (0: pass, or inconclusive as
    a warning → success; 1 → failure)."""
    if not head_sha or ctx.event_name == "issue_comment":
        rep.warn("no pull request head commit known for this event; commit status not "
                 "posted", failed=True)
        return
    state = {0: "success", 1: "failure"}.get(pub.exit_code, "error")
    context = f"model-gate/{status_key}" if status_key else "model-gate"
    try:
        gh.create_status(head_sha, state, pub.status_description or pub.verdict, context, ctx.run_url)
        rep.outcome.status_posted = True
        rep.info(f"commit status {context}={state} posted on {head_sha[:12]}")
    except HttpError as exc:
        _github_failure(exc, "status", rep)


def _github_failure(exc: HttpError, what: str, rep: _Reporter) -> None:
    if exc.status in (403, 429) and "rate limit" in exc.api_message.lower():
        rep.warn(f"GitHub rate limit: the {what} was not posted ({exc}); the verdict stands",
                 failed=True)
    elif exc.not_accessible or exc.status == 403:
        rep.warn(f"GitHub refused to write the {what} ({exc.status} {exc.api_message}): "
                 f"{permission_hint(what)}", failed=True)
    elif exc.status == 401:
        rep.warn(f"GitHub rejected the token (401 {exc.api_message}); the {what} was not posted",
                 failed=True)
    else:
        rep.warn(f"could not post the {what}: {exc}", failed=True)


# -- GitLab ------------------------------------------------------------------------------------
def _publish_gitlab(pub: Publication, environ: Mapping[str, str], comment: _Comment, marker: str,
                    api_url: str | None, rep: _Reporter, net: _Net) -> None:
    if not comment.on:
        return
    out = rep.outcome
    ctx: GitLabContext = gitlab_context(environ, api_url)
    if ctx.token is None:
        out.comment_action = "skipped"
        if ctx.job_token_only:
            rep.warn(f"merge request note not posted: {setup_hint()}")
        else:
            rep.warn(f"merge request note not posted: no token. {setup_hint()}")
        return
    if not token_usable(ctx.token):
        out.comment_action = "skipped"
        rep.warn(f"{BAD_TOKEN} (MODEL_GATE_GITLAB_TOKEN / GITLAB_TOKEN); the merge request note "
                 "was not posted", failed=True)
        return
    if ctx.api_url is None or ctx.project_id is None:
        out.comment_action = "skipped"
        rep.warn("merge request note not posted: CI_API_V4_URL or the project id is missing",
                 failed=True)
        return
    client = gitlab_client(ctx, sleep=net.sleep, clock=net.clock, redact=net.redact,
                           max_retries=net.max_retries, timeout=net.timeout)
    gl = GitLabPublisher(ctx, client, web_url=environ.get("CI_MERGE_REQUEST_PROJECT_URL")
                         or environ.get("CI_PROJECT_URL"))
    try:
        iid = gl.resolve_mr()
        if iid is None:
            out.comment_action = "skipped"
            rep.info("no merge request for this pipeline (run the job in merge request pipelines: "
                     "rules: - if: $CI_PIPELINE_SOURCE == 'merge_request_event'); note skipped")
            return
        stamp = pub.run_stamp or ctx.run_stamp
        skipped: list[str] = []
        result = gl.upsert_note(iid, body_for(pub, comment.mode, marker, stamp, skipped), marker, stamp)
    except HttpError as exc:
        out.comment_action = "failed"
        if exc.status in (401, 403):
            rep.warn(f"GitLab refused the note ({exc.status} {exc.api_message}): the token needs "
                     f"scope api and Reporter or higher on the target project. {setup_hint()}",
                     failed=True)
        else:
            rep.warn(f"could not post the merge request note: {exc}", failed=True)
        return
    out.comment_action = result.action
    out.comment_url = result.url
    for note in skipped + result.notes:
        rep.info(note)
    rep.info(f"MR !{iid} note {result.action}" + (f": {result.url}" if result.url else ""))


# -- dotenv (any platform, when asked) ---------------------------------------------------------
def _write_dotenv(pub: Publication, path: str, rep: _Reporter) -> None:
    values = {"MODEL_GATE_VERDICT": pub.verdict, "MODEL_GATE_FAILED": str(pub.failed_count)}
    if pub.report_json_path:
        values["MODEL_GATE_REPORT"] = pub.report_json_path
    values = {k: rep.redact(v) for k, v in values.items()}
    try:
        problems = files.write_dotenv(path, values)
    except OSError as exc:
        rep.warn(f"cannot write the dotenv file {path}: {exc.strerror or exc}", failed=True)
        return
    for problem in problems:
        rep.warn(f"dotenv entry left out: {problem}", failed=True)
