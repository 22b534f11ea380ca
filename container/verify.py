"""Proof that the action image's venv works. The Dockerfile runs it around its slimming step (so
anything the slimming broke fails the build, under any builder's shell semantics), and
scripts/container-smoke runs it again in the final image (so a build whose layers all came from
the cache is checked too, and the C kernel is proven to load after the copy into the final stage):

    python verify.py record LIBS.json                        # build stage, before slimming
    python verify.py build REQUIREMENTS PYPROJECT LIBS.json  # build stage, after slimming
    python verify.py image REQUIREMENTS PYPROJECT            # in the final image

`record` writes, for every ELF file in the venv, the shared libraries ldd cannot find (a few wheels
ship optional parts whose libraries are not there, or find them only through the loading library's
RPATH). `build` then proves (`image`: all but 2):

1. the installed distributions are exactly the pinned ones (same versions), plus model-gate itself;
   the build backend pinned for --no-build-isolation (pyproject's build-system.requires) was
   uninstalled again;
2. every ELF file left in the venv finds all the shared libraries it found before the slimming
   (ldd), so nothing that stays can need what was deleted;
3. every module of the gate package imports;
4. each input format is read through gate.data.readers.read_table (CSV on both the csv-module path and
   the pyarrow fast path, CSV.gz, JSONL, Parquet) and gives the same rows, pyarrow.compute works,
   and a Parquet file round-trips;
5. gate.render.svg draws a plot that parses as XML with its text escaped (no plotting library);
6. gate's C kernel (gate/resampling/_ckernels.c) was built and loads, and its Poisson counts equal
   the numpy path's bincounts bit for bit (so the image's compiler built it with exact arithmetic)
   and it ranks a strided column of tied scores (-0.0 with 0.0) as descending_groups does; so was its CSV scanner (gate/data/_csvscan.c), whose table equals the split path's and whose
   scores equal float()'s bit for bit.

Prints one line per check; exits 1 with a FAIL line on the first failure.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.metadata as md
import io
import json
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import tomllib


def fail(msg: str) -> None:
    print(f"verify: FAIL: {msg}", flush=True)
    sys.exit(1)


def ok(msg: str) -> None:
    print(f"verify: ok   {msg}", flush=True)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_distributions(lock: Path, pyproject: Path) -> None:
    pinned = dict(re.findall(r"^([a-z0-9][a-z0-9.-]*)==(\S+)", lock.read_text(encoding="utf-8"), re.M))
    build_only = {norm(re.split(r"[<>=!~; \[]", r, maxsplit=1)[0])
                  for r in tomllib.loads(pyproject.read_text(encoding="utf-8"))["build-system"]["requires"]}
    installed = {norm(d.metadata["Name"]): d.version for d in md.distributions()}
    installed.pop("model-gate", None) or fail("model-gate is not installed in the venv")
    want = {n: v for n, v in pinned.items() if n not in build_only}
    if installed != want:
        extra = sorted(f"{n}=={v}" for n, v in installed.items() if want.get(n) != v)
        missing = sorted(f"{n}=={v}" for n, v in want.items() if installed.get(n) != v)
        fail(f"venv differs from {lock.name}: installed but not pinned so {extra}; pinned but not installed {missing}")
    ok(f"{len(installed)} distributions, exactly the pinned versions (+ model-gate; {sorted(build_only)} removed)")


def missing_libraries() -> dict[str, list[str]]:
    """{ELF file relative to the venv: shared libraries ldd reports "not found"} for every ELF file."""
    elves = []
    for root, _, files in os.walk(sys.prefix):
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p) and os.path.isfile(p):
                with open(p, "rb") as fh:
                    if fh.read(4) == b"\x7fELF":
                        elves.append(p)
    if len(elves) < 50:
        fail(f"only {len(elves)} ELF files found under {sys.prefix}: is this the image venv?")
    out = {}
    for p in elves:
        res = subprocess.run(["ldd", p], capture_output=True, text=True)
        if res.returncode != 0 and "not a dynamic executable" not in res.stdout + res.stderr:
            fail(f"ldd {p}: {res.stderr.strip()}")
        out[os.path.relpath(p, sys.prefix)] = sorted(line.split()[0] for line in res.stdout.splitlines()
                                                      if "not found" in line)
    return out


def check_shared_libraries(before_file: Path) -> None:
    before = json.loads(before_file.read_text(encoding="utf-8"))
    now = missing_libraries()
    broken = [f"{f} needs {', '.join(sorted(set(libs) - set(before.get(f, []))))}"
              for f, libs in sorted(now.items()) if set(libs) - set(before.get(f, []))]
    if broken:
        fail("the slimming deleted shared libraries that stay needed:\n  " + "\n  ".join(broken))
    known = sorted({lib for libs in now.values() for lib in libs})
    ok(f"{len(now)} ELF files ({len(before) - len(now)} deleted): each finds every shared library it found "
       f"before the slimming (not found before and after, optional: {', '.join(known) or 'none'})")


def check_gate_imports() -> None:
    import gate
    names = ["gate"] + [m.name for m in pkgutil.walk_packages(gate.__path__, "gate.")]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001
            fail(f"import {name}: {type(exc).__name__}: {exc}")
    ok(f"{len(names)} gate modules import")


def check_formats() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from gate.data import readers

    n = 40_000     # > 1 MiB of CSV, so the fast CSV readers run as well as the csv module
    ids = [f"req-{i:06d}" for i in range(n)]
    labels = ["affair" if i % 3 == 0 else ("" if i % 10 == 9 else "no_affair") for i in range(n)]
    scores = [f"{(i * 7919 % 10007) / 10007:.4f}" for i in range(n)]
    csv = "request_id,y_true,p_affair\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(ids, labels, scores))
    if len(csv) <= getattr(readers, "FAST_CSV_MIN_BYTES", 1 << 20):
        fail("the test CSV is too small for the pyarrow CSV path")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "big.csv").write_text(csv, encoding="utf-8")
        (d / "small.csv").write_text(csv[:5000].rsplit("\n", 1)[0] + "\n", encoding="utf-8")
        (d / "p.csv.gz").write_bytes(gzip.compress(csv.encode()))
        (d / "p.jsonl").write_text("".join(json.dumps({"request_id": a, "y_true": b, "p_affair": float(c)}) + "\n"
                                           for a, b, c in zip(ids, labels, scores)), encoding="utf-8")
        table = pa.table({"request_id": ids, "y_true": labels, "p_affair": [float(s) for s in scores]})
        pq.write_table(table, d / "p.parquet")
        if not pq.read_table(d / "p.parquet").equals(table):
            fail("Parquet round trip changed the table")
        buf = io.BytesIO()
        pq.write_table(table, buf)
        if pq.read_table(pa.BufferReader(buf.getvalue())).num_rows != n:
            fail("in-memory Parquet round trip lost rows")
        if pc.sum(pc.equal(table["y_true"], "affair")).as_py() != len(range(0, n, 3)):
            fail("pyarrow.compute gave a wrong count")
        for name, rows in (("small.csv", None), ("big.csv", n), ("p.csv.gz", n), ("p.jsonl", n), ("p.parquet", n)):
            try:
                t = readers.read_table(d / name)
            except Exception as exc:  # noqa: BLE001
                fail(f"gate could not read {name}: {type(exc).__name__}: {exc}")
            got = [str(v) for v in t.columns["request_id"]]
            if (rows is not None and t.n_rows != rows) or got != ids[:t.n_rows] or t.n_rows < 2:
                fail(f"gate read {name} wrongly: {t.n_rows} rows, ids {got[:3]}...")
        # the compiled scanner reads big.csv first; pyarrow's CSV reader is what takes the files it declines
        arrow = readers._read_csv_fast((d / "big.csv").read_bytes(), "big.csv")
        if arrow is None or [str(v) for v in arrow.columns["request_id"]] != ids:
            fail("pyarrow's CSV reader did not read big.csv")
    ok("gate reads CSV (csv module, compiled scanner and pyarrow paths), CSV.gz, JSONL and Parquet; Parquet round-trips")


def check_plots() -> None:
    import xml.etree.ElementTree as ET

    from gate.render import svg
    canvas = svg.Canvas(300, 200, "probe")
    ax = svg.Axes(40, 20, 240, 150, (0.0, 1.0), (0.0, 1.0))
    svg.frame(canvas, ax, title="recall for class 'affair' <b>", xlabel="recall")
    canvas.polyline([(ax.px(0.0), ax.py(1.0)), (ax.px(1.0), ax.py(0.5))], "#1f77b4")
    try:
        root = ET.fromstring(canvas.render())
    except ET.ParseError as exc:
        fail(f"gate's SVG plot does not parse: {exc}")
    texts = ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]
    if "recall for class 'affair' <b>" not in texts:
        fail(f"gate's SVG plot lost its title: {texts}")
    ok("gate draws an SVG plot with escaped text (no plotting library in the venv)")


def check_kernel() -> None:
    import numpy as np

    from gate.resampling import poisson
    if not poisson.accelerated():
        fail("gate's C kernel (gate.resampling._ckernels) was not built or does not load")
    bounds = np.array([0, 4096, 4096, 8192] + [8192] * (poisson.MAX_SIZE - 3), dtype=np.int64)
    codes = [np.arange(8192, dtype=np.uint16) % 97, (np.arange(8192, dtype=np.int32) * 7919) % 70_000]
    counts = poisson.view_counts(2 ** 64 - 59, 3, 2, bounds, codes, [97, 70_000])
    for r in range(2):
        w = poisson.weights(2 ** 64 - 59, 3 + r, poisson.sizes_of(bounds))
        for table, got, width in zip(codes, counts, (97, 70_000)):
            if not np.array_equal(got[r], np.bincount(table, weights=w, minlength=width)):
                fail("gate's C kernel counts differ from the numpy path's")
    scores = np.array([[0.25, 1.0], [-0.0, 5e-324], [0.25, -1.5], [1e308, 0.0], [0.0, 2.0]])[:, 0]   # a strided column
    groups = np.empty(scores.size, dtype=np.int64)
    if poisson.compiled().tie_ranks(scores, groups, 65_536) != 3 or list(groups) != [1, 2, 1, 0, 2]:
        fail(f"gate's C kernel ranks tied scores wrongly: {list(groups)}")
    ok("gate's C kernel loads, counts exactly as the numpy path and ranks tied scores")
    check_scanner()


def check_scanner() -> None:
    import struct

    import numpy as np

    from gate.data import readers
    scanner = readers.scanner_module()
    if scanner is None:
        fail("gate's CSV scanner (gate.data._csvscan) was not built or does not load")
    cells = ["0.25", "-0", "1e-310", "0.10000000000000001", "123456789012345678901234567890", " 7.5e3\t", "1e22",
             "2.4703282292062328e-324", "4.9406564584124654e-324", "1.7976931348623157e308"]
    data = ("id,score\r\n" + "".join(f"r{i},{c}\r\n" for i, c in enumerate(cells))).encode()
    table = readers._scan_csv(data, "probe.csv", scanner)
    split = readers._split_csv(data.decode(), "probe.csv")
    if table is None or split is None or any(list(table.columns[k]) != list(split.columns[k]) for k in split.columns):
        fail("gate's CSV scanner reads a plain CSV differently from the split path")
    got = table.columns["score"].numbers(np.arange(len(cells)))
    if got is None or [struct.pack("<d", x) for x in got] != [struct.pack("<d", float(c)) for c in cells]:
        fail(f"gate's CSV scanner converts scores differently from float(): {got}")
    ok("gate's CSV scanner loads, splits as the Python path and converts as float()")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["record"] and len(args) == 2:
        libs = missing_libraries()
        Path(args[1]).write_text(json.dumps(libs, indent=1), encoding="utf-8")
        ok(f"recorded the shared libraries of {len(libs)} ELF files")
        return
    build = args[:1] == ["build"] and len(args) == 4
    if not build and not (args[:1] == ["image"] and len(args) == 3):
        fail("usage: verify.py record LIBS.json | build REQUIREMENTS PYPROJECT LIBS.json | image REQUIREMENTS PYPROJECT")
    checks = [lambda: check_distributions(Path(args[1]), Path(args[2]))]
    if build:
        checks.append(lambda: check_shared_libraries(Path(args[3])))
    checks += [check_gate_imports, check_formats, check_plots, check_kernel]
    for check in checks:
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is one FAIL line, not a traceback
            fail(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
