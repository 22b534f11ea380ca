"""report.html's plots are hand-written SVG (gate/render/plots.py, gate/render/svg.py): each parses as
XML, holds only drawing elements, escapes every untrusted string (invisible characters included),
draws exactly the Report's numbers (read back from the markup by inverting each frame's pixel
mapping) and is byte-identical across processes. No plotting library is involved."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from report_factory import adversarial_report, binary_report, build_report, est, make_gate, multiclass_40_report

from gate.render import html, plots
from gate.render import svg as S
from gate.report.model import QueryComparison, QueryDelta, Report

REPO = Path(__file__).resolve().parents[1]
NS = "{http://www.w3.org/2000/svg}"
DRAWING = {"svg", "rect", "line", "polyline", "circle", "text", "title"}
EVIL = "\u202eevil\u200b<b>&'\"\x1b[31m\ufeff\U000e0041"


def ranking_report() -> Report:
    """The binary report with two per-query comparisons, one under a hostile measure name."""
    edges = (-0.4, -0.2, 0.0, 0.2, 0.4)
    queries = (QueryComparison("ndcg@10", 12, 7, 3, (QueryDelta("q7", 0.2, 0.5, -0.3),), edges, (2, 5, 9, 6)),
               QueryComparison(EVIL, 1, 2, 0, (), (-1.0, 0.0, 1.0), (2, 1)))
    return dataclasses.replace(binary_report(), queries=queries)


def hostile_report() -> Report:
    """Every name a plot prints carries invisible characters and markup."""
    gates = [make_gate("recall", class_name=EVIL, bar=0.6, candidate=est(0.5, 0.45, 0.58), status="fail",
                       label=f"recall[{EVIL}]", distribution=tuple(0.5 + 0.01 * math.sin(i) for i in range(200))),
             make_gate("accuracy", kind="max_drop", bar=0.02, slice={EVIL: EVIL}, candidate=est(0.9, 0.88, 0.92),
                       baseline=est(0.895, 0.875, 0.915), status="inconclusive")]
    return build_report(gates, policy_name=EVIL, classes=(EVIL, "b"), task="multiclass", positive=None,
                        curve_classes=[EVIL])


FACTORIES = {"binary": binary_report, "multiclass-40": multiclass_40_report, "adversarial": adversarial_report,
             "hostile": hostile_report, "ranking": ranking_report}


def all_svgs(report: Report) -> dict[str, str]:
    out = {"forest": plots.forest(report), "confusion": plots.confusion(report),
           "calibration": plots.calibration(report), "distributions": plots.distributions(report),
           "query-deltas": plots.query_deltas(report)}
    out.update({f"curves-{i}": s for i, (_, s) in enumerate(plots.curves(report))})
    return {k: v for k, v in out.items() if v}


def frames(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}rect") if e.get("class") == "frame"]


def inverse(frame: ET.Element):
    """Pixel → data mapping of one frame, from its own attributes (not from the code under test)."""
    x, y, w, h = (float(frame.get(k)) for k in ("x", "y", "width", "height"))
    x0, x1 = (float(v) for v in frame.get("data-xlim").split(","))
    y0, y1 = (float(v) for v in frame.get("data-ylim").split(","))
    return lambda px, py: (x0 + (px - x) / w * (x1 - x0), y0 + (y + h - py) / h * (y1 - y0))


@pytest.mark.parametrize("name", FACTORIES)
def test_every_plot_parses_and_holds_only_drawing_elements(name):
    svgs = all_svgs(FACTORIES[name]())
    assert {"forest", "confusion", "calibration", "curves-0"} <= set(svgs)
    for key, text in svgs.items():
        root = ET.fromstring(text)
        assert root.tag == f"{NS}svg" and root.get("aria-label") == f"{key.split('-')[0] if key.startswith('curves') else key} plot"
        tags = {e.tag.removeprefix(NS) for e in root.iter()}
        assert tags <= DRAWING, (key, tags - DRAWING)
        assert not any(k.startswith("on") or "href" in k for e in root.iter() for k in e.attrib), key


def _invisible(text: str) -> list[str]:
    """Characters of categories Cc (but LF), Cf, Co, Cs, Zl, Zp in ``text`` (the Unicode database's
    verdict, not the product's list)."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp") and c != "\n"})


def test_hostile_names_are_escaped_and_visible_in_every_plot():
    report = hostile_report()
    svgs = all_svgs(report)
    assert {"forest", "confusion", "distributions", "curves-0"} <= set(svgs)
    for key, text in svgs.items():
        assert _invisible(text) == [], key
        if key == "calibration":     # the one plot without a user's name in it
            continue
        assert "<b>" not in text and "\x1b" not in text, key
        texts = " ".join("".join(e.itertext()) for e in ET.fromstring(text).iter(f"{NS}text"))
        # the name is drawn, with U+FFFD where an invisible character was, its markup as text
        assert "\ufffdevil\ufffd<b>&'\"" in texts, key      # (the heatmap's axes shorten names to 16)
    page = html.render(report)
    assert _invisible(page) == [] and page.count("<svg") >= 5


def drawn_series(root: ET.Element, frame: ET.Element) -> dict[str, list[tuple[float, float]]]:
    """Every polyline's points as data, keyed by its ``data-series``, read through ``frame``."""
    to_data = inverse(frame)
    return {e.get("data-series"): [to_data(*map(float, p.split(","))) for p in e.get("points").split()]
            for e in root.iter(f"{NS}polyline")}


def test_curve_points_drawn_equal_the_reports():
    report = multiclass_40_report()
    for cls, text in plots.curves(report):
        root = ET.fromstring(text)
        for kind, frame in zip(("pr", "roc"), frames(root), strict=True):
            drawn = drawn_series(root, frame)
            for curve in (c for c in report.curves if c.class_name == cls and c.kind == kind):
                pts = drawn[f"{kind}:{curve.model}"]
                assert len(pts) == len(curve.x) > 10
                assert np.allclose(pts, list(zip(curve.x, curve.y)), atol=1e-4, rtol=0)


def test_calibration_points_drawn_equal_the_reports():
    report = binary_report()
    root = ET.fromstring(plots.calibration(report))
    (frame,) = frames(root)
    drawn = drawn_series(root, frame)
    for cal in report.calibration:
        assert np.allclose(drawn[f"calibration:{cal.model}"], list(zip(cal.confidence, cal.accuracy)), atol=1e-4, rtol=0)


def test_forest_dots_are_the_margins_to_the_bar():
    report = binary_report()
    root = ET.fromstring(plots.forest(report))
    (frame,) = frames(root)
    to_data = inverse(frame)
    dots = {e.get("data-series"): to_data(float(e.get("cx")), float(e.get("cy")))[0] for e in root.iter(f"{NS}circle")}
    for g in report.gates:
        sign = 1 if g.op == ">=" else -1
        assert dots[f"margin:{g.id}"] == pytest.approx((g.tested.value - g.threshold) * sign, abs=1e-4)


def test_query_delta_bars_are_the_reports_bins():
    report = ranking_report()
    root = ET.fromstring(plots.query_deltas(report))
    bins = [e for e in root.iter(f"{NS}rect") if e.get("class") == "bin"]
    frame_list = frames(root)
    assert len(frame_list) == len(report.queries)
    start = 0
    for q, frame in zip(report.queries, frame_list):
        to_data = inverse(frame)
        mine = bins[start:start + len(q.histogram_counts)]
        start += len(mine)
        for rect, a, b, n in zip(mine, q.histogram_edges, q.histogram_edges[1:], q.histogram_counts):
            x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
            (lo, top), (hi, bottom) = to_data(x, y), to_data(x + w, y + h)
            assert (lo, hi, top, bottom) == pytest.approx((a, b, n, 0.0), abs=1e-3)
    assert start == len(bins)


def test_distribution_histogram_equals_numpys():
    values = tuple(np.random.default_rng(3).normal(0.8, 0.02, 2000))
    edges, counts = plots.histogram(values)
    ref_counts, ref_edges = np.histogram(values, bins=plots.HISTOGRAM_BINS)
    assert counts == ref_counts.tolist() and np.allclose(edges, ref_edges, atol=1e-12, rtol=0)
    assert plots.histogram((0.5, 0.5, float("nan"))) == ([0.5 - 5e-10, 0.5 + 5e-10], [2])
    assert plots.histogram((float("inf"),)) == ([], [])


def test_colour_maps_equal_matplotlibs():
    matplotlib = pytest.importorskip("matplotlib")
    for stops, name in ((S.BLUES, "Blues"), (S.RDYLGN, "RdYlGn")):
        cmap = matplotlib.colormaps[name]
        for f in np.linspace(0, 1, 23):
            ours = [int(S.colormap(stops, f)[k:k + 2], 16) for k in (1, 3, 5)]
            theirs = [round(255 * v) for v in cmap(f)[:3]]
            assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 3, (name, f, ours, theirs)


def test_fewer_errors_are_green_more_are_red():
    diff = [[0.0, -6.0], [6.0, 0.0]]           # candidate − baseline: one error type fell, the other rose
    q = plots.quality_of_difference(diff)
    green, red = (plots.difference_color(v, 6.0) for v in (q[0][1], q[1][0]))
    rgb = [[int(c[k:k + 2], 16) for k in (1, 3, 5)] for c in (green, red)]
    assert rgb[0][1] > rgb[0][0] and rgb[1][0] > rgb[1][1]


def test_non_finite_numbers_are_not_drawn():
    g = make_gate("recall", bar=0.6, candidate=est(float("nan"), float("-inf"), float("inf")), status="inconclusive")
    report = build_report([g, make_gate("f1", bar=0.5, candidate=est(0.7, 0.6, 0.8))])
    text = plots.forest(report)
    assert "nan" not in text.lower() and "inf" not in text.lower()
    ET.fromstring(text)


_RENDER = ("import sys; sys.path.insert(0, 'tests'); from report_factory import adversarial_report, binary_report; "
           "from gate.render import html; sys.stdout.write(html.render(binary_report()) + html.render(adversarial_report()))")


def test_byte_identical_across_processes():
    outs = [subprocess.run([sys.executable, "-c", _RENDER], cwd=REPO, capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert outs[0] == outs[1] and outs[0].count(b"<svg") >= 10
    assert not re.search(rb"\d{4}-\d\d-\d\dT\d\d:", outs[0])    # no timestamps


def test_numbers_and_ticks():
    assert [S.num(v) for v in (0.0, -0.001, 1.005, 2.5, -3.25, 120.0)] == ["0", "0", "1", "2.5", "-3.25", "120"]
    assert S.nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert S.nice_ticks(-0.13, 0.05) == pytest.approx([-0.1, -0.05, 0.0, 0.05])   # step 0.05 ≥ 0.18 / 5
    ticks = S.nice_ticks(0.0, 1.02)
    assert [S.tick_text(t, ticks) for t in ticks] == ["0", "0.25", "0.50", "0.75", "1.00"]
    assert S.nice_ticks(1.0, 1.0) == [1.0] and S.nice_ticks(float("nan"), 1.0) == []
