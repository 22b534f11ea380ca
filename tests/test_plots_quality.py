"""report.html plots say what they draw: the confusion difference is coloured by quality, the forest
plot names its intervals (nominal vs Holm-adjusted) as the comment's table does, and no header uses
a character common fonts lack (U+FF3C showed as an empty box)."""

from __future__ import annotations

import dataclasses

import pytest
from report_factory import binary_report, multiclass_40_report

from gate.render import html, markdown, plots


def test_difference_quality_flips_errors_not_correct_predictions():
    diff = [[+5.0, -3.0], [+2.0, -4.0]]      # candidate − baseline counts
    # diagonal: more correct = better (+5 good, -4 bad); off-diagonal: fewer errors = better
    assert plots.quality_of_difference(diff) == [[5.0, 3.0], [-2.0, -4.0]]


def test_difference_heatmap_colours_fewer_errors_green():
    q = plots.quality_of_difference([[0.0, -6.0], [6.0, 0.0]])   # one error type fell, the other rose
    assert q[0][1] > 0 and q[1][0] < 0
    green, red = ([int(c[k:k + 2], 16) for k in (1, 3, 5)] for c in (plots.difference_color(q[0][1], 6.0),
                                                                     plots.difference_color(q[1][0], 6.0)))
    assert green[1] > green[0] and red[0] > red[1]                # fewer errors: green; more: red
    svg = plots.confusion(binary_report())
    assert "green = better" in svg and ">better<" in svg and ">worse<" in svg


def test_forest_title_names_the_intervals():
    holm = binary_report()                       # the factory's policy adjusts with Holm
    assert holm.reproducibility.multiple_testing == "holm"
    title = plots.forest_title(holm)
    assert "fail side Holm-adjusted" in title and "nominal 95% interval, as in the table" in title
    plain = dataclasses.replace(holm, reproducibility=dataclasses.replace(holm.reproducibility,
                                                                          multiple_testing="none"))
    assert "Holm" not in plots.forest_title(plain) and "nominal" in plots.forest_title(plain)


def test_forest_draws_the_tables_interval_for_each_gate():
    report = binary_report()
    svg = plots.forest(report)
    with_table_interval = [g for g in report.gates if plots.nominal_interval(g) is not None]
    assert with_table_interval and svg.count("#8c8c8c") >= len(with_table_interval)
    g = next(g for g in report.gates if g.quantity == "candidate")
    assert plots.nominal_interval(g) == g.candidate.ci        # what the comment prints as Candidate [CI]
    assert "fail side Holm-adjusted" in html.render(report)


@pytest.mark.parametrize("factory", [binary_report, multiclass_40_report])
def test_no_fullwidth_backslash_anywhere(factory):
    report = factory()
    for text in (markdown.render(report), html.render(report, plots=False)):
        assert "\uff3c" not in text and "true ↓ predicted →" in text
