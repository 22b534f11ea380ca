"""gate/publish/artifact.py on its own rules (tests/test_baseline_from_run.py runs --baseline-from-run
against the fake GitHub): what WORKFLOW[:ARTIFACT] may be, and the checks of the untrusted zip
before and while its one file is written — a plain predictions file name, no symlink, no more
uncompressed bytes than the limit (declared or inflated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import GateError, UsageError
from gate.publish import artifact
from gate.publish.artifact import RunSpec
from gate.publish.publication import DEFAULT_ARTIFACT
from tests.helpers.zips import zip_bytes

SPEC = RunSpec("model-gate.yml", "preds")


def _zip(path: Path, files: dict[str, bytes], *, symlink: str | None = None) -> Path:
    path.write_bytes(zip_bytes(files, symlink=symlink))
    return path


def test_run_specs():
    assert RunSpec.parse("model-gate.yml") == RunSpec("model-gate.yml", DEFAULT_ARTIFACT)
    assert RunSpec.parse(" eval.yml:base-preds ") == RunSpec("eval.yml", "base-preds")
    assert RunSpec.parse("12345") == RunSpec("12345", DEFAULT_ARTIFACT)           # a workflow id
    for bad in ("", ":x", "dir/model-gate.yml", "model-gate.yml:"):
        with pytest.raises(UsageError, match="is not WORKFLOW"):
            RunSpec.parse(bad)


def test_the_one_file_is_extracted(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    target = artifact.extract(SPEC, _zip(tmp_path / "a.zip", {"baseline.csv": b"id,label\n1,a\n"}), out, 1000)
    assert target == out / "baseline.csv" and target.read_bytes() == b"id,label\n1,a\n"


@pytest.mark.parametrize("files,symlink,problem", [
    ({"a.csv": b"x", "b.csv": b"y"}, None, "holds 2 files ('a.csv', 'b.csv'); exactly one is expected"),
    ({}, None, "holds 0 files (nothing)"),
    ({"../evil.csv": b"x"}, None, "holds '../evil.csv', not a plain file name"),
    ({"sub/base.csv": b"x"}, None, "not a plain file name"),
    ({"C:base.csv": b"x"}, None, "not a plain file name"),
    ({"base.csv": b"x"}, "base.csv", "as a symlink or encrypted"),
    ({"run.sh": b"x"}, None, "holds 'run.sh', not a predictions file"),
])
def test_an_archive_that_is_not_one_plain_predictions_file_is_refused(tmp_path, files, symlink, problem):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GateError) as err:
        artifact.extract(SPEC, _zip(tmp_path / "a.zip", files, symlink=symlink), out, 1000)
    assert problem in err.value.message and "preds" in err.value.message
    assert list(out.iterdir()) == [] and not (tmp_path / "evil.csv").exists()


def test_the_size_limit_holds_for_the_declared_and_the_inflated_bytes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GateError, match="is 5,000 bytes uncompressed, more than the limit"):
        artifact.extract(SPEC, _zip(tmp_path / "a.zip", {"base.csv": b"0" * 5000}), out, 4999)
    lying = _zip(tmp_path / "lie.zip", {"base.csv": b"0" * 5000})
    raw = bytearray(lying.read_bytes())          # declare 10 bytes in both headers: under the limit, a lie
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = raw.find(sig)
        offset = 22 if sig == b"PK\x03\x04" else 24
        raw[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    lying.write_bytes(bytes(raw))
    with pytest.raises(GateError, match=r"is not a readable zip archive \(Bad CRC-32"):
        artifact.extract(SPEC, lying, out, 100)     # no more than the declared bytes are read, then refused
    assert (out / "base.csv").stat().st_size <= 10


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(GateError, match="is not a readable zip archive"):
        artifact.extract(SPEC, tmp_path / "x.zip", tmp_path, 100)
