"""``--baseline-from-run WORKFLOW[:ARTIFACT]``: the baseline predictions from the latest successful
run of a workflow on the repository's default branch, downloaded as a GitHub Actions artifact.

Through the REST API, with the job's token (the same client and redaction as the publishers):

1. the default branch: the event payload's ``repository.default_branch``, else
   ``GET /repos/{owner}/{repo}``;
2. ``GET /repos/{owner}/{repo}/actions/workflows/{WORKFLOW}/runs?branch=…&status=success`` (newest
   first; WORKFLOW is the workflow's file name, e.g. ``model-gate.yml``, or its id);
3. ``GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts?name=ARTIFACT`` (default
   :data:`DEFAULT_ARTIFACT`), an artifact that has not expired;
4. ``GET /repos/{owner}/{repo}/actions/artifacts/{id}/zip``, which answers 302 with a signed URL on
   another host; ``requests`` follows it without the token.

The zip is untrusted data and is verified before anything is read from it: the artifact's declared
size, the download and the uncompressed file each stay within ``MODEL_GATE_MAX_BYTES``; the archive
holds exactly one file, with a plain name (no directory part, no ``..``: nothing can be written
outside the temporary directory), a predictions extension (.csv, .csv.gz, .jsonl, .parquet, …), not
encrypted and not a symlink. Every problem is one line (:class:`gate.errors.InputError` or
:class:`gate.errors.UsageError`): no run, no artifact, an expired one, a bad archive.
"""

from __future__ import annotations

import stat
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.data.limits import MAX_BYTES
from gate.data.readers import FORMATS
from gate.errors import GateError, InputError, UsageError
from gate.publish.environment import github_context
from gate.publish.github import github_client
from gate.publish.http import HttpClient, HttpError, Redactor
from gate.publish.publication import DEFAULT_ARTIFACT

OPTION = "--baseline-from-run"
CHUNK = 1 << 16


@dataclass(frozen=True)
class RunSpec:
    """What ``WORKFLOW[:ARTIFACT]`` names."""

    workflow: str
    artifact: str = DEFAULT_ARTIFACT

    @classmethod
    def parse(cls, text: str) -> RunSpec:
        """``model-gate.yml`` or ``model-gate.yml:baseline-preds``; a workflow id works as well."""
        workflow, _, artifact = text.strip().partition(":")
        if not workflow or "/" in workflow or (_ and not artifact):
            raise UsageError(f"{OPTION} {text!r} is not WORKFLOW[:ARTIFACT]", source="command line",
                             fix="name the workflow file, e.g. model-gate.yml or model-gate.yml:baseline-preds")
        return cls(workflow, artifact or DEFAULT_ARTIFACT)


@dataclass(frozen=True)
class Fetched:
    """The downloaded baseline file and where it came from (``label`` names it in the reports)."""

    path: Path
    label: str
    run_id: int
    run_url: str


def _problem(spec: RunSpec, problem: str, fix: str, *, usage: bool = False) -> GateError:
    cls = UsageError if usage else InputError
    return cls(problem, source=f"{OPTION} {spec.workflow}:{spec.artifact}", fix=fix)


def _get(client: HttpClient, spec: RunSpec, path: str, params: Mapping[str, Any] | None = None) -> Any:
    """A JSON GET; an HTTP failure is one line naming the request (the client redacted the token)."""
    try:
        return client.request("GET", path, params=params).json()
    except HttpError as exc:
        hint = "the token needs `actions: read`" if exc.status in (401, 403) else "check the workflow name"
        raise _problem(spec, f"the GitHub API refused: {exc}", hint) from None
    except ValueError:
        raise _problem(spec, f"GET {path}: the answer is not JSON", "retry; this is GitHub's side") from None


def _default_branch(client: HttpClient, spec: RunSpec, event: Mapping[str, Any], repo_path: str) -> str:
    repo = event.get("repository")
    branch = repo.get("default_branch") if isinstance(repo, dict) else None
    if not isinstance(branch, str) or not branch:
        branch = _get(client, spec, repo_path).get("default_branch")
    if not isinstance(branch, str) or not branch:
        raise _problem(spec, "cannot tell the repository's default branch", "retry; this is GitHub's side")
    return branch


def _latest_run(client: HttpClient, spec: RunSpec, repo_path: str, branch: str) -> dict[str, Any]:
    runs = _get(client, spec, f"{repo_path}/actions/workflows/{spec.workflow}/runs",
                {"branch": branch, "status": "success", "per_page": 1}).get("workflow_runs") or []
    if not runs or not isinstance(runs[0], dict) or not isinstance(runs[0].get("id"), int):
        raise _problem(spec, f"no successful run of workflow {spec.workflow} on the default branch {branch}",
                       f"run that workflow on {branch} first (it must upload the artifact), or pass --baseline FILE")
    return runs[0]


def _artifact(client: HttpClient, spec: RunSpec, repo_path: str, run: Mapping[str, Any], limit: int) -> dict[str, Any]:
    listed = _get(client, spec, f"{repo_path}/actions/runs/{run['id']}/artifacts",
                  {"name": spec.artifact, "per_page": 100}).get("artifacts") or []
    named = [a for a in listed if isinstance(a, dict) and a.get("name") == spec.artifact
             and isinstance(a.get("id"), int)]
    live = [a for a in named if not a.get("expired")]
    where = f"run {run['id']} of {spec.workflow}"
    if not live:
        what = "only an expired artifact" if named else "no artifact"
        raise _problem(spec, f"{where} has {what} named {spec.artifact}",
                       f"upload the baseline predictions as artifact {spec.artifact} in that workflow "
                       "(actions/upload-artifact), and keep it within its retention")
    art = live[0]
    size = art.get("size_in_bytes")
    if isinstance(size, int) and size > limit:
        raise _problem(spec, f"artifact {spec.artifact} of {where} is {size:,} bytes, more than the limit of "
                             f"{MAX_BYTES.shown(limit)}", MAX_BYTES.fix())
    return art


def _download(client: HttpClient, spec: RunSpec, repo_path: str, art: Mapping[str, Any], limit: int,
              target: Path) -> None:
    """The zip, streamed into ``target``: at most ``limit`` bytes (a longer answer is refused while
    reading, so neither memory nor disk holds more)."""
    path = f"{repo_path}/actions/artifacts/{art['id']}/zip"
    try:
        resp = client.request("GET", path, stream=True)
    except HttpError as exc:
        fix = "it expired: run the workflow again" if exc.status == 410 else "the token needs `actions: read`"
        raise _problem(spec, f"cannot download artifact {spec.artifact}: {exc}", fix) from None
    received = 0
    try:
        with open(target, "xb") as out:
            for chunk in resp.iter_content(CHUNK):
                received += len(chunk)
                if received > limit:
                    raise _problem(spec, f"the download of artifact {spec.artifact} exceeds the limit of "
                                         f"{MAX_BYTES.shown(limit)}", MAX_BYTES.fix())
                out.write(chunk)
    finally:
        resp.close()


def _only_file(spec: RunSpec, archive: zipfile.ZipFile, limit: int) -> zipfile.ZipInfo:
    """The one predictions file the archive may hold (directory entries aside), checked."""
    files = [i for i in archive.infolist() if not i.is_dir()]
    names = ", ".join(repr(i.filename[:80]) for i in files[:5]) or "nothing"
    if len(files) != 1:
        raise _problem(spec, f"artifact {spec.artifact} holds {len(files)} files ({names}); exactly one is expected",
                       "upload only the baseline predictions file in that artifact")
    info = files[0]
    name = info.filename
    if "/" in name or "\\" in name or name in ("", ".", "..") or ":" in name:
        raise _problem(spec, f"artifact {spec.artifact} holds {name[:80]!r}, not a plain file name",
                       "upload the predictions file itself, not a directory")
    if stat.S_ISLNK(info.external_attr >> 16) or info.flag_bits & 0x1:
        raise _problem(spec, f"artifact {spec.artifact} holds {name[:80]!r} as a symlink or encrypted",
                       "upload the predictions file itself")
    if not any(name.lower().endswith(ext) for ext in FORMATS):
        raise _problem(spec, f"artifact {spec.artifact} holds {name[:80]!r}, not a predictions file",
                       "upload a .csv, .csv.gz, .jsonl or .parquet file")
    if info.file_size > limit:
        raise _problem(spec, f"{name[:80]} in artifact {spec.artifact} is {info.file_size:,} bytes uncompressed, "
                             f"more than the limit of {MAX_BYTES.shown(limit)}", MAX_BYTES.fix())
    return info


def extract(spec: RunSpec, zip_path: Path, dest: Path, limit: int) -> Path:
    """Verify the zip at ``zip_path`` (module docstring) and write its one file into ``dest``;
    returns its path. The uncompressed bytes are counted while reading, whatever the archive declares."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            info = _only_file(spec, archive, limit)
            target = dest / info.filename
            written = 0
            with archive.open(info) as src, open(target, "xb") as out:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise _problem(spec, f"{info.filename[:80]} in artifact {spec.artifact} inflates past the "
                                             f"limit of {MAX_BYTES.shown(limit)}", MAX_BYTES.fix())
                    out.write(chunk)
            return target
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise _problem(spec, f"artifact {spec.artifact} is not a readable zip archive ({exc})",
                       "upload the predictions with actions/upload-artifact") from None


def fetch_baseline(spec: RunSpec, environ: Mapping[str, str], dest: Path, *,
                   sleep: Callable[[float], None] = time.sleep) -> Fetched:
    """Find, download, verify and extract the baseline artifact into ``dest`` (a directory the
    caller owns and removes)."""
    ctx = github_context(environ)
    owner_repo = ctx.owner_repo
    if owner_repo is None or not ctx.token:
        raise _problem(spec, "needs GitHub Actions: GITHUB_REPOSITORY and a token (GITHUB_TOKEN) are not set",
                       "run it in a workflow with `actions: read` permission, or pass --baseline FILE", usage=True)
    limit = MAX_BYTES.value()
    client = github_client(ctx, sleep=sleep, clock=time.time, redact=Redactor())
    repo_path = f"/repos/{owner_repo[0]}/{owner_repo[1]}"
    branch = _default_branch(client, spec, ctx.event, repo_path)
    run = _latest_run(client, spec, repo_path, branch)
    art = _artifact(client, spec, repo_path, run, limit)
    zip_path = dest / ".artifact.zip"     # a name no predictions file has: it cannot clash with the extracted one
    _download(client, spec, repo_path, art, limit, zip_path)
    path = extract(spec, zip_path, dest, limit)
    zip_path.unlink()
    html_url = run.get("html_url")
    run_url = html_url if isinstance(html_url, str) else ""
    return Fetched(path, f"{spec.workflow} run {run['id']}: {spec.artifact}/{path.name}", int(run["id"]), run_url)
