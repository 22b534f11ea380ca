"""HTML report: self-contained, escaped, deterministic, plots inline (and a readable page without them)."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import pytest
from report_factory import adversarial_report, binary_report, build_report, large_report, make_gate

from gate.render import html as H
from gate.render import plots


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.tags.append((tag, d))
        if "id" in d:
            self.ids.append(d["id"])


def parse(text: str) -> _Collector:
    p = _Collector()
    p.feed(text)
    return p


@pytest.fixture(scope="module")
def binary_html() -> str:
    return H.render(binary_report())


@pytest.fixture(scope="module")
def adversarial_html() -> str:
    return H.render(adversarial_report())


def _assert_self_contained(text: str) -> None:
    p = parse(text)
    tags = {t for t, _ in p.tags}
    assert not tags & {"script", "link", "iframe", "img", "object", "embed", "base"}, tags
    for tag, attrs in p.tags:
        for k, v in attrs.items():
            if k in ("src", "href", "xlink:href", "action") and v:
                assert v.startswith(("#", "data:image/")), f"<{tag} {k}={v[:60]!r}> would load something"
    assert "@import" not in text and not re.search(r"url\(\s*['\"]?(?!#)", text)
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_self_contained_with_plots(binary_html):
    _assert_self_contained(binary_html)
    assert binary_html.startswith("<!DOCTYPE html>")


def test_self_contained_without_plots():
    _assert_self_contained(H.render(binary_report(), plots=False))


def test_forest_plot_first_and_inline_svg(binary_html):
    p = parse(binary_html)
    assert p.ids.count("forest-plot") == 1
    forest = binary_html.split('id="forest-plot"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in forest
    # the forest plot comes before the gate table and before every other plot
    assert binary_html.index('id="forest-plot"') < binary_html.index('<table class="gates">')
    assert binary_html.index('id="forest-plot"') < binary_html.index("<svg", binary_html.index("</figure>"))
    # every gate label is drawn in it as text
    for g in binary_report().gates:
        assert f">{g.label}<" in forest or g.label in forest


def test_all_plots_present(binary_html):
    p = parse(binary_html)
    for fig_id in ("forest-plot", "distributions", "confusion", "calibration"):
        assert fig_id in p.ids
    assert "Precision-recall" in binary_html and "ROC" in binary_html
    assert binary_html.count("<svg") >= 5
    assert H.PLOTS_HINT not in binary_html


def test_deterministic(binary_html):
    assert H.render(binary_report()) == binary_html


def test_plots_need_no_plotting_library(monkeypatch):
    # matplotlib unimportable (it is no dependency): the page still has every plot
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert H.render(binary_report()).count("<svg") >= 5


def test_plots_off_still_renders_every_number():
    text = H.render(binary_report(), plots=False)
    assert "<svg" not in text
    assert "Plots are turned off for this page" in text
    assert 'id="forest-plot"' in text
    assert '<table class="gates">' in text
    for g in binary_report().gates:
        assert g.label in text
    # the numbers behind the plots are still there as tables
    assert "Counts as tables" in text and "Reliability bins as tables" in text and "Curve points" in text


def test_gate_table_rows_worst_first():
    text = H.render(binary_report(), plots=False)
    table = text.split('<table class="gates">', 1)[1].split("</table>", 1)[0]
    classes = re.findall(r'<tr class="(\w+)">', table)
    assert classes == ["fail", "inconclusive", "warning", "pass", "pass", "pass"]
    assert "is below the 0.900 floor" in table and "0.870 [0.840, 0.895]" in table


@pytest.mark.parametrize("with_plots", [False, True])
def test_adversarial_names_escaped(with_plots, adversarial_html):
    text = adversarial_html if with_plots else H.render(adversarial_report(), plots=False)
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\x1b" not in text and "\x00" not in text
    assert text.count("<!--") == 0
    p = parse(text)
    assert not {t for t, _ in p.tags} & {"script", "b"}


def test_large_report_plots_capped():
    gates = large_report(16, 10).gates  # 176 gates > MAX_FOREST_ROWS
    text = H.render(build_report(gates, curves=False, confusion=False, calibration=False, per_class=False))
    assert f"Showing the {plots.MAX_FOREST_ROWS} worst of" in text
    assert text.count("<tr class=") == len(gates)  # the table still has every gate


def test_mathtext_in_names_is_literal():
    g = make_gate("recall", class_name="$\\frac{1}{0}$ $", status="fail")
    text = H.render(build_report([g], classes=("$\\frac{1}{0}$ $", "b"), curve_classes=["$\\frac{1}{0}$ $"]))
    assert "$\\frac{1}{0}$" in text  # drawn as text, not parsed
