"""Hostile inputs to the readers, the policy loader and the alignment, by class.

The catalogue (tests/test_bad_inputs.py) pins one exact message per case; these tests cover each
class more broadly: property tests over number spellings, Unicode forms and invisible characters,
hangs run in a subprocess under a timeout, memory bounds under an address-space limit, and the
``pairing: intersect`` report checked against a run on pre-intersected files.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.cli.main import main
from gate.data.align import _NUMBER, parse_number
from gate.data.limits import MAX_BYTES, MAX_CLASSES
from gate.data.readers import read_table
from gate.errors import GateError, InputError, PolicyError, UsageError, escape_invisible
from gate.policy.load import (
    build_policy,
    canonical_label,
    invisible_twins,
    parse_yaml,
    visible_form,
)
from tests.helpers.imports import hide_pyarrow

ROOT = Path(__file__).resolve().parents[1]
POLICY = """version: 1
name: t
task: binary
positive_class: "1"
bootstrap: {resamples: 200, seed: 1}
gates:
  - metric: recall
    min: 0.1
"""


def _run_cli(args: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None,
             memory_bytes: int | None = None) -> subprocess.CompletedProcess:
    """``model-gate`` in a subprocess: a hang is a TimeoutExpired (the test fails), not a stuck suite."""
    def limit_memory() -> None:
        if memory_bytes is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_GATE_MAX_", "GITHUB_", "CI"))}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "gate.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env, preexec_fn=limit_memory, check=False)


def _one_line_error(proc: subprocess.CompletedProcess, expected: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert expected in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------------
# numbers


ASCII_NUMBER = st.from_regex(r"\A[+-]?([0-9]{1,12}(\.[0-9]{0,12})?|\.[0-9]{1,12})([eE][+-]?[0-9]{1,3})?\Z")


@given(ASCII_NUMBER)
def test_ascii_numbers_parse_exactly_as_float(text):
    assert parse_number(text) == float(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
def test_every_accepted_score_is_ascii_decimal_and_equals_float(text):
    """Whatever the text: it is refused, or it is a NaN/infinity spelling, or it matches the ASCII
    grammar and parses to what float() gives."""
    try:
        value = parse_number(text)
    except ValueError:
        return
    if math.isfinite(value):
        assert _NUMBER.fullmatch(text) and text.strip(" \t").isascii()
        assert value == float(text)
    else:
        assert text.strip(" \t").lower().lstrip("+-") in ("nan", "inf", "infinity") or _NUMBER.fullmatch(text)


@given(st.lists(st.characters(categories=["Nd"]), min_size=1, max_size=6), st.booleans())
def test_non_ascii_digits_are_not_numbers(digits, with_point):
    """Arabic-Indic, Devanagari, fullwidth, ... digits: Python's float() reads them, model-gate does not."""
    text = "".join(digits[:1]) + ("." if with_point else "") + "".join(digits[1:])
    if text.replace(".", "").isascii():
        assert parse_number(text) == float(text)
    else:
        with pytest.raises(ValueError):
            parse_number(text)


@pytest.mark.parametrize("text", ["0_5", "1_000", " \u00a00.5", "0.5\u2003", "0x1p3", "1e", ".", "", " ", "--1",
                                  "\uff10.\uff15", "\u0660.\u0665", "True"])
def test_float_accepts_but_the_grammar_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("value,expected", [(True, ValueError), (None, ValueError), ([0.5], ValueError)])
def test_non_numbers_are_refused(value, expected):
    with pytest.raises(expected):
        parse_number(value)


def test_integers_too_large_for_a_float_are_infinite_not_a_crash():
    assert parse_number(10**400) == math.inf


def _read_scores(tmp_path: Path, monkeypatch, cells: list[str], fast: bool):
    """read_table + build_evalset on a binary CSV with these score cells, on the pyarrow fast path
    (any size) or the csv-module path."""
    from gate.data import readers
    from gate.data.align import build_evalset
    monkeypatch.setattr(readers, "FAST_CSV_MIN_BYTES", 0 if fast else 1 << 62)
    path = tmp_path / "c.csv"
    path.write_text("id,label,score\n" + "".join(f"r{i},{i % 2},{c}\n" for i, c in enumerate(cells)), encoding="utf-8")
    policy = build_policy(parse_yaml(POLICY, "p.yml"), source="p.yml")
    try:
        return build_evalset(policy, read_table(path), None).candidate.scores.tolist()
    except GateError as exc:
        return exc.message


@pytest.mark.parametrize("bad", ["0_5", "\u0660.\u0665", "\uff10.\uff15", "nan", "-inf", "1e999", "0x10"])
def test_fast_and_slow_csv_paths_agree_on_hostile_scores(tmp_path, monkeypatch, bad):
    pytest.importorskip("pyarrow")
    cells = ["0.25", "1e-3", "+.5", "7."] * 5 + [bad]
    fast, slow = (_read_scores(tmp_path, monkeypatch, cells, f) for f in (True, False))
    assert fast == slow and isinstance(slow, str) and "row 21 (line 22), column 'score'" in slow


def test_fast_path_still_reads_plain_scores(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    cells = ["0.25", "1e-3", "+.5", "7.", "-0", "3E+2"] * 4
    assert _read_scores(tmp_path, monkeypatch, cells, True) == [float(c) for c in cells]


LONG_INT_FIELDS = {   # field -> (policy text with N for the number, digits that are valid there)
    "seed": (POLICY.replace("seed: 1}", "seed: N}"), range(1, 19)),            # 0 <= seed < 2**63
    "resamples": (POLICY.replace("resamples: 200", "resamples: N"), range(3, 7)),       # 100 .. 10**6
    "name": (POLICY.replace("name: t", "name: N"), range(0)),                   # must be a string
    "min": (POLICY.replace("min: 0.1", "min: N"), range(1, 101)),               # any number, at most 100 digits
}


@pytest.mark.parametrize("digits", [1, 3, 18, 19, 20, 100, 101, 4300, 4301, 6000])
@pytest.mark.parametrize("field", sorted(LONG_INT_FIELDS))
def test_long_integers_anywhere_in_the_policy_are_errors_not_tracebacks(digits, field):
    text, valid = LONG_INT_FIELDS[field]
    number = "9" * digits
    try:
        policy = build_policy(parse_yaml(text.replace("N", number), "p.yml"), source="p.yml")
    except PolicyError as exc:
        assert digits not in valid, exc.message
        assert len(exc.message) < 400 and exc.message.startswith("p.yml: ")
        return
    assert digits in valid
    assert policy.bootstrap.seed == int(number) if field == "seed" else True


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", [("bootstrap", "confidence"), ("data", "threshold"), ("decision", "max_undefined_fraction"),
                                   ("gate", "min"), ("gate", "max_drop"), ("gate", "beta"), ("gate", "at_recall")])
def test_non_finite_numbers_are_refused_in_every_numeric_field(value, where):
    doc = parse_yaml(POLICY, "p.yml")
    section, key = where
    if section == "gate":
        gate = {"metric": "fbeta" if key == "beta" else "precision_at_recall" if key == "at_recall" else "recall"}
        gate.update({key: value} if key in ("min", "max_drop") else {key: value, "min": 0.1})
        doc["gates"] = [gate]
        path = f"gates[0].{key}"
    else:
        doc.setdefault(section, {})[key] = value
        path = f"{section}.{key}"
    with pytest.raises(PolicyError) as info:
        build_policy(doc, source="p.yml")
    assert info.value.message.startswith(f"p.yml: {path}: must be a finite number (got ")


def test_integral_floats_in_integer_fields_are_integers():
    """JSON Schema's "integer" accepts 200.0; numpy's resampling and seeding do not (was a traceback)."""
    policy = build_policy(parse_yaml(POLICY.replace("{resamples: 200, seed: 1}", "{resamples: 200.0, seed: 7.0}"),
                                     "p.yml"), source="p.yml")
    assert (policy.bootstrap.resamples, policy.bootstrap.seed) == (200, 7)
    assert type(policy.bootstrap.resamples) is int and type(policy.bootstrap.seed) is int


def test_a_mapping_with_a_huge_integer_is_a_policy_error():
    doc = parse_yaml(POLICY, "p.yml")
    doc["bootstrap"]["seed"] = 10**5000
    with pytest.raises(PolicyError, match=r"bootstrap.seed: is an integer of more than 100 digits"):
        build_policy(doc, source="p.yml")


# ---------------------------------------------------------------------------------------------
# Unicode


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202c",
             "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u00ad", "\u034f", "\ufe0f", "\x00", "\x1b"]
NAMES = st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1, max_size=8)


@given(NAMES, st.sampled_from(INVISIBLE), st.integers(min_value=0, max_value=8))
def test_names_differing_only_by_an_invisible_character_are_twins(name, invisible, at):
    at = min(at, len(name))
    twin = name[:at] + invisible + name[at:]
    assert visible_form(twin) == visible_form(name)
    assert invisible_twins(["other", name, twin]) == (name, twin)


@given(st.text(min_size=1, max_size=10))
def test_nfc_and_nfd_spellings_are_one_label(text):
    assert canonical_label(unicodedata.normalize("NFD", text)) == canonical_label(unicodedata.normalize("NFC", text))


def test_policy_classes_and_data_labels_agree_under_nfc(tmp_path, capsys):
    (tmp_path / "p.yml").write_text(
        "version: 1\nname: t\ntask: binary\npositive_class: \"e\\u0301\"\nclasses: [\"\\u00e9\", o]\n"
        "bootstrap: {resamples: 200, seed: 1}\ngates:\n  - metric: recall\n    min: 0.1\n", encoding="utf-8")
    rows = "".join(f"r{i},{['o', 'e' + chr(0x301), chr(0xe9)][i % 3]},0.{i % 10}\n" for i in range(30))
    (tmp_path / "c.csv").write_text("id,label,score\n" + rows, encoding="utf-8")
    code = main(["check", "--policy", str(tmp_path / "p.yml"), "--candidate", str(tmp_path / "c.csv"), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and report["data"]["classes"] == ["o", "\u00e9"]
    assert report["data"]["class_support"] == {"o": 10, "\u00e9": 20}


@given(st.text(max_size=200))
def test_error_messages_are_one_printable_line(text):
    message = InputError(text, source="f" + text[:5], where=text[-5:], fix=text[:3]).message
    assert "\n" not in message and "\r" not in message
    assert all(ch.isprintable() for ch in message)


def test_error_messages_are_clipped():
    message = InputError("x" * 10**7, source="cand.csv", fix="do this").message
    assert len(message) <= 2000 and message.startswith("cand.csv: xxx") and message.endswith("(do this)")


def test_escape_invisible_keeps_printable_text_and_escapes_the_rest():
    assert escape_invisible("é a\u0301 中") == "é a\u0301 中"
    assert escape_invisible("a\u200bb\u202ec\x1b\ud800") == "a\\u200bb\\u202ec\\x1b\\ud800"


# ---------------------------------------------------------------------------------------------
# JSON Lines structure


JSON_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=20)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(st.lists(JSON_TEXT, min_size=1, max_size=6), st.booleans())
def test_jsonl_values_round_trip_whatever_line_breaks_they_hold(tmp_path, notes, ascii_escaped):
    """U+2028, U+0085, CR and friends inside strings are data; only ``\\n`` ends a line."""
    rows = [{"id": f"r{i}", "note": note + "\u2028\x85\r\u2029"} for i, note in enumerate(notes)]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=ascii_escaped) + "\n" for r in rows), encoding="utf-8")
    table = read_table(path)
    assert table.n_rows == len(rows) and list(table.lines) == list(range(1, len(rows) + 1))
    assert list(table.columns["note"]) == [r["note"] for r in rows]


def test_jsonl_nesting_is_refused_without_parsing(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "a", "x": ' + "{\"k\": " * 200_000 + "1" + "}" * 200_000 + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1 nests 200,001 JSON objects or arrays"):
        read_table(path)


def test_jsonl_unterminated_strings_of_escapes_stay_linear(tmp_path):
    """A line of escaped quotes with no closing quote: the nesting scan must not be quadratic."""
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "a' + '\\"' * 400_000 + "[" * 100 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not valid JSON"):
        read_table(path)


def test_jsonl_lines_bringing_new_keys_stay_linear(tmp_path):
    """Each line with its own keys: the table stays sparse until a column is read (was quadratic)."""
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", f"k{i}": i}) + "\n" for i in range(20_000)), encoding="utf-8")
    table = read_table(path)
    assert len(table.columns) == 20_001 and table.columns["k7"][7] == 7 and table.columns["k7"][8] is None


def test_jsonl_key_twins_under_nfc_are_one_column_twice(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "a", "\\u00e9": 1}\n{"id": "b", "e\\u0301": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'é' appears twice in the keys \(after Unicode NFC normalisation\)"):
        read_table(path)


# ---------------------------------------------------------------------------------------------
# files: no hangs, bounded memory


def test_a_fifo_with_no_writer_errors_at_once(tmp_path):
    (tmp_path / "p.yml").write_text(POLICY, encoding="utf-8")
    os.mkfifo(tmp_path / "c.csv")
    proc = _run_cli(["check", "--policy", "p.yml", "--candidate", "c.csv"], tmp_path, timeout=30)
    _one_line_error(proc, "c.csv: is a named pipe (FIFO), not a regular file")


def test_a_policy_fifo_with_no_writer_errors_at_once(tmp_path):
    os.mkfifo(tmp_path / "p.yml")
    proc = _run_cli(["validate", "p.yml"], tmp_path, timeout=30)
    _one_line_error(proc, "p.yml: is a named pipe (FIFO), not a regular file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_not_read_forever(tmp_path, device):
    (tmp_path / "p.yml").write_text(POLICY, encoding="utf-8")
    os.symlink(device, tmp_path / "c.jsonl")
    proc = _run_cli(["check", "--policy", "p.yml", "--candidate", "c.jsonl"], tmp_path, timeout=30,
                    memory_bytes=2 << 30)
    _one_line_error(proc, "c.jsonl: is a character device, not a regular file")


def test_a_gzip_bomb_is_refused_after_reading_at_most_the_limit(tmp_path):
    """4 MiB of gzip expanding to 4 GiB: refused within a 2 GiB address space (all of it would
    not fit), in a few seconds."""
    block = gzip.compress(b"0" * (64 << 20), compresslevel=9)
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"id,label,score\n") + block * 64)   # members concatenate
    (tmp_path / "p.yml").write_text(POLICY, encoding="utf-8")
    proc = _run_cli(["check", "--policy", "p.yml", "--candidate", "c.csv.gz"], tmp_path, timeout=60,
                    env={"MODEL_GATE_MAX_BYTES": "64M"}, memory_bytes=2 << 30)
    _one_line_error(proc, "c.csv.gz: decompresses to more than the size limit of 64 MiB "
                          "(raise the limit with the environment variable MODEL_GATE_MAX_BYTES")


def test_files_at_the_limit_are_read_and_one_byte_more_is_not(tmp_path, monkeypatch):
    path = tmp_path / "c.csv"
    path.write_text("id,label,score\n" + "r0,1,0.5\n" * 50, encoding="utf-8")
    size = path.stat().st_size
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", str(size))
    assert read_table(path).n_rows == 50
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", str(size - 1))
    with pytest.raises(InputError, match=f"is larger than the size limit of {size - 1:,} bytes"):
        read_table(path)
    gz = tmp_path / "c.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert gz.stat().st_size < size - 1          # small on disk, too large once decompressed
    with pytest.raises(InputError, match=f"decompresses to more than the size limit of {size - 1:,} bytes"):
        read_table(gz)
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", str(size))
    assert read_table(gz).n_rows == 50


def test_a_parquet_run_length_bomb_is_refused_before_decoding(tmp_path, monkeypatch):
    """10^6 equal values: a few KB on disk and in the declared page sizes, 10^6 Python objects decoded."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"label": pa.array(["1"] * 10**6), "score": pa.array([0.5] * 10**6)}), path)
    assert path.stat().st_size < 64 << 10
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", "4M")
    with pytest.raises(InputError, match=r"holds more data than the size limit of 4 MiB once decoded "
                                         r"\(1,000,000 rows × 2 columns\)"):
        read_table(path)
    monkeypatch.setenv("MODEL_GATE_MAX_BYTES", "16M")
    assert read_table(path).n_rows == 10**6


@pytest.mark.parametrize("raw,expected", [("2G", 2 << 30), ("512m", 512 << 20), ("64KiB", 64 << 10), ("100", 100),
                                          (" 7 ", 7)])
def test_byte_limits_take_suffixes(monkeypatch, raw, expected):
    monkeypatch.setenv(MAX_BYTES.env, raw)
    assert MAX_BYTES.value() == expected


@pytest.mark.parametrize("limit,raw", [(MAX_BYTES, "0"), (MAX_BYTES, "-1"), (MAX_BYTES, "1.5G"), (MAX_BYTES, "lots"),
                                       (MAX_CLASSES, "2K"), (MAX_CLASSES, "9" * 5000)])
def test_malformed_limits_are_usage_errors(monkeypatch, limit, raw):
    monkeypatch.setenv(limit.env, raw)
    with pytest.raises(UsageError) as info:
        limit.value()
    assert info.value.message.startswith(f"environment: {limit.env} must be a positive whole number")
    assert len(info.value.message) < 300


def test_the_class_limit_applies_to_derived_classes(tmp_path, monkeypatch):
    from gate.data.align import build_evalset
    policy = build_policy(parse_yaml(POLICY.replace('task: binary\npositive_class: "1"', "task: multiclass")
                                     .replace("recall\n    min", "accuracy\n    min"), "p.yml"), source="p.yml")
    path = tmp_path / "c.csv"
    path.write_text("id,label,prediction\n" + "".join(f"r{i},c{i % 300},c0\n" for i in range(600)), encoding="utf-8")
    with pytest.raises(InputError, match=r"has 300 distinct classes .* more than the limit of 256 .*MODEL_GATE_MAX_CLASSES"):
        build_evalset(policy, read_table(path), None)
    monkeypatch.setenv("MODEL_GATE_MAX_CLASSES", "300")
    assert len(build_evalset(policy, read_table(path), None).classes) == 300


# ---------------------------------------------------------------------------------------------
# pairing: intersect equals a check on pre-intersected files


INTERSECT_POLICY = """version: 1
name: t
task: binary
positive_class: "1"
data: {slices: [seg]}
bootstrap: {resamples: 300, seed: 5, pairing: PAIRING}
gates:
  - {metric: f1, max_drop: 0.05}
  - {metric: roc_auc, max_drop: 0.05}
  - {metric: recall, slice: seg, min: 0.2}
  - {metric: label_coverage, min: 0.5}
"""


def _intersect_files(tmp_path: Path, n: int, seed: int) -> tuple[list[str], list[str]]:
    """Candidate ids 0..n-1, baseline ids n/3..4n/3 in a shuffled order; some unlabeled rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 2 * n)
    labels = [("" if i % 17 == 0 else str(y[i])) for i in range(2 * n)]

    def row(i: int, shift: float) -> str:
        score = min(1.0, 0.3 * y[i] + rng.random() * 0.7 + shift)
        return f"id{i:07d},{labels[i]},{score:.4f},{'abc'[i % 3]}\n"
    cand_ids = list(range(n))
    base_ids = list(rng.permutation(np.arange(n // 3, n // 3 + n)))
    cand = [row(i, 0.0) for i in cand_ids]
    base = [row(int(i), -0.02) for i in base_ids]
    header = "id,label,score,seg\n"
    (tmp_path / "cand.csv").write_text(header + "".join(cand), encoding="utf-8")
    (tmp_path / "base.csv").write_text(header + "".join(base), encoding="utf-8")
    shared_c = set(range(n // 3, n))
    (tmp_path / "cand_cut.csv").write_text(header + "".join(r for i, r in zip(cand_ids, cand) if i in shared_c),
                                           encoding="utf-8")
    (tmp_path / "base_cut.csv").write_text(header + "".join(r for i, r in zip(base_ids, base) if i in shared_c),
                                           encoding="utf-8")
    return cand, base


def _check_json(tmp_path: Path, pairing: str, cand: str, base: str, capsys) -> dict:
    (tmp_path / f"{pairing}.yml").write_text(INTERSECT_POLICY.replace("PAIRING", pairing), encoding="utf-8")
    code = main(["check", "--policy", str(tmp_path / f"{pairing}.yml"), "--candidate", str(tmp_path / cand),
                 "--baseline", str(tmp_path / base), "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    return json.loads(captured.out)


def _comparable(report: dict) -> dict:
    data = {k: v for k, v in report["data"].items() if k != "artifacts"}
    return {"gates": report["gates"], "data": data, "per_class": report.get("per_class"),
            "confusion": report.get("confusion")}


@pytest.mark.parametrize("n", [90, 30_000])      # 30,000: the vectorised id joins (FAST_JOIN_MIN_ROWS)
def test_intersect_equals_a_check_on_the_pre_intersected_files(tmp_path, capsys, n):
    _intersect_files(tmp_path, n, seed=n)
    cut = _check_json(tmp_path, "auto", "cand_cut.csv", "base_cut.csv", capsys)
    both = _check_json(tmp_path, "intersect", "cand.csv", "base.csv", capsys)
    assert cut["data"]["pairing"] == both["data"]["pairing"] == "paired"
    assert _comparable(both) == _comparable(cut)
    shared = n - n // 3
    assert (f"pairing: intersect: compared on the {shared:,} ids both files hold; dropped {n // 3:,} of {n:,} "
            f"candidate rows and {n - shared:,} of {n:,} baseline rows") in both["warnings"]
    assert not any("intersect" in w for w in cut["warnings"])


def test_intersect_without_pyarrow_gives_the_same_report(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyarrow")
    _intersect_files(tmp_path, 12_000, seed=3)
    with_arrow = _check_json(tmp_path, "intersect", "cand.csv", "base.csv", capsys)
    hide_pyarrow(monkeypatch)
    without = _check_json(tmp_path, "intersect", "cand.csv", "base.csv", capsys)
    assert _comparable(without) == _comparable(with_arrow) and without["warnings"] == with_arrow["warnings"]


def test_intersect_of_identical_id_sets_is_plain_pairing(tmp_path, capsys):
    _intersect_files(tmp_path, 90, seed=1)
    a = _check_json(tmp_path, "intersect", "cand_cut.csv", "base_cut.csv", capsys)
    b = _check_json(tmp_path, "auto", "cand_cut.csv", "base_cut.csv", capsys)
    assert a == {**b, "reproducibility": a["reproducibility"], "policy": a["policy"]}   # only the policy file differs


def test_hostile_inputs_without_pyarrow(tmp_path, monkeypatch):
    """The core install: the same refusals on the csv-module and per-row paths."""
    pytest.importorskip("pyarrow")
    hide_pyarrow(monkeypatch)
    from gate.data.align import build_evalset
    policy = build_policy(parse_yaml(POLICY, "p.yml"), source="p.yml")
    messages = []
    for cell in ("0_5", "\u0660.\u0665", "nan"):
        path = tmp_path / "c.csv"
        path.write_text("id,label,score\n" + "".join(f"r{i},{i % 2},{cell if i == 3 else '0.5'}\n" for i in range(40)),
                        encoding="utf-8")
        with pytest.raises(InputError) as info:
            build_evalset(policy, read_table(path), None)
        messages.append(info.value.message)
    assert all("row 4 (line 5), column 'score'" in m for m in messages), messages


@pytest.mark.parametrize("command", ["check", "validate"])
def test_help_states_the_limits_and_how_to_raise_them(command, capsys):
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for limit in (MAX_BYTES, MAX_CLASSES):
        assert f"{limit.env} ({limit.shown(limit.default)})" in text
    assert "raise them with environment variables" in text and "Pipes and devices are refused" in text


def test_the_readme_lists_every_limit_with_its_default():
    from gate.data.limits import ALL
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Limits", 1)[1].split("\n## ", 1)[0]
    for limit in ALL:
        row = next(line for line in section.splitlines() if f"`{limit.env}=" in line)
        assert f"| {limit.shown(limit.default)} |" in row, row
