"""Renderers: one small module per output format, each reading only :class:`gate.report.Report`.

``console`` (terminal table), ``json_report`` (report.json), ``markdown`` (PR/MR comment, job
summary), ``junit`` (junit.xml), ``openmetrics`` (OpenMetrics gauges for monitoring), ``html`` (self-contained report.html; its inline SVG plots are
written by ``plots`` through the ``svg`` writer), ``annotations`` (workflow-command annotations) and ``outputs.write_all``
(everything ``--out-dir`` writes). Renderers never compute metrics; ``text`` holds the shared
formatting helpers.
"""
