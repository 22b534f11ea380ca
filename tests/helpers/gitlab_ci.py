"""The GitLab component and CI schemas, as the CI-file tests read them: the template's spec and
jobs, GitLab's input interpolation, and validation with check-jsonschema's built-in schemas."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "model-gate.yml"
INTERP = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("check-jsonschema")
    if exe is None:
        pytest.skip("check-jsonschema is not installed")
    return subprocess.run([exe, "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


def assert_valid(schema: str, path: Path) -> None:
    res = check_jsonschema(schema, path)
    assert res.returncode == 0, f"{path.name} vs {schema}:\n{res.stdout}\n{res.stderr}"


def template_parts() -> tuple[dict, str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    header, sep, body = text.partition("\n---\n")
    assert sep, "component must be `spec:` header, `---`, then jobs"
    return yaml.safe_load(header), body


def interpolate(body: str, spec_inputs: dict, values: dict) -> str:
    """Substitute `$[[ inputs.x ]]` like GitLab: given value, else the default; mandatory
    inputs (no default) must be given."""
    def sub(m: re.Match) -> str:
        name = m.group(1)
        assert name in spec_inputs, f"undeclared input {name}"
        if name in values:
            return str(values[name])
        assert "default" in spec_inputs[name], f"mandatory input {name} not given"
        return str(spec_inputs[name]["default"])
    out = INTERP.sub(sub, body)
    assert "$[[" not in out
    return out
