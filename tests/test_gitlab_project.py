"""The component project's own .gitlab-ci.yml: a dry `include:` of templates/model-gate.yml.

GitLab would fetch the component at this commit, interpolate the given inputs, and merge the job with
the same name defined locally (keys deep-merged, local values win). We do the same, then validate the
merged pipeline against GitLab's CI schema and check it runs the bundled example's paths.
"""

from __future__ import annotations

import yaml

from tests.helpers.gitlab_ci import ROOT, assert_valid, interpolate, template_parts

PROJECT_CI = ROOT / ".gitlab-ci.yml"


def deep_merge(base: dict, local: dict) -> dict:
    out = dict(base)
    for key, value in local.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def merged_pipeline() -> dict:
    project = yaml.safe_load(PROJECT_CI.read_text())
    [include] = project["include"]
    assert include["component"].endswith("/model-gate@$CI_COMMIT_SHA")
    header, body = template_parts()
    spec_inputs = header["spec"]["inputs"]
    assert set(include["inputs"]) <= set(spec_inputs)
    jobs = yaml.safe_load(interpolate(body, spec_inputs, include["inputs"]))
    local = {k: v for k, v in project.items() if k != "include"}
    merged = dict(local)
    for name, job in jobs.items():
        merged[name] = deep_merge(job, local.get(name, {}))
    return merged


def test_dry_include_is_valid_gitlab_ci(tmp_path):
    pipeline = merged_pipeline()
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    assert_valid("vendor.gitlab-ci", path)


def test_dry_include_gates_the_bundled_example():
    job = merged_pipeline()["model-gate"]
    assert job["variables"]["MODEL_GATE_INPUT_POLICY"] == "policies/affairs.yml"
    for key in ("MODEL_GATE_INPUT_POLICY", "MODEL_GATE_INPUT_CANDIDATE", "MODEL_GATE_INPUT_BASELINE"):
        assert (ROOT / job["variables"][key]).is_file()
    assert job["artifacts"]["when"] == "always" and "junit" in job["artifacts"]["reports"]
    assert {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"} in job["rules"]
