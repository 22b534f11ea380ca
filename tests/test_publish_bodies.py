"""Comment bodies: marker handling, run stamps and size limits (checklist 13–15, 27)."""

from __future__ import annotations

from gate.publish import bodies
from gate.render.markdown import marker_line

MARKER = "<!-- model-gate:v1 key=policy -->"


def test_marker_encoding_is_the_renderers():
    for key in ("policy", "fraud model v2", "evil --> <b>", "matrix/leg-1"):
        assert bodies.marker_for(key) == marker_line(key)
        assert "-->" not in bodies.marker_for(key)[len("<!-- "):-len(" -->")]


def test_marker_must_stand_on_its_own_line():
    assert bodies.has_marker(f"text\n{MARKER}\n", MARKER)
    assert not bodies.has_marker(f"quoted: {MARKER}", MARKER)
    assert not bodies.has_marker(f"`{MARKER}`", MARKER)


def test_with_marker_replaces_another_key_or_appends():
    other = "<!-- model-gate:v1 key=old -->"
    assert bodies.with_marker(f"body\n{other}\n", MARKER) == f"body\n{MARKER}\n"
    assert bodies.with_marker("body", MARKER) == f"body\n{MARKER}\n"
    assert bodies.body_marker(f"x\n{other}\ny") == other


def test_stamp_roundtrip_and_order():
    body = bodies.with_stamp(f"x\n{MARKER}", "123.2")
    assert bodies.stamp_of(body) == "123.2"
    assert bodies.with_stamp(body, "124.1").count("model-gate:run") == 1
    assert bodies.is_newer(body, "123.1") and not bodies.is_newer(body, "123.2")
    assert not bodies.is_newer(body, "124.1") and not bodies.is_newer("no stamp", "1.1")
    assert bodies.same_content(body, bodies.with_stamp(f"x\n{MARKER}", "999.9"))
    assert bodies.with_stamp("x", "1 --> <script>") == "x\n<!-- model-gate:run 1-script -->\n"


def test_shorten_keeps_hidden_lines_and_closes_blocks():
    body = ("<details><summary>s</summary>\n\n```\n" + "row\n" * 30_000 + f"```\n</details>\n"
            f"{MARKER}\n<!-- model-gate:run 5.1 -->\n")
    short = bodies.shorten(body, 10_000, link="https://ci/run/5")
    assert len(short) <= 10_000
    lines = short.splitlines()
    assert MARKER in lines and lines[-1] == "<!-- model-gate:run 5.1 -->"
    assert short.count("```") % 2 == 0
    assert short.count("<details") == short.count("</details>")
    assert "comment truncated" in short and "https://ci/run/5" in short


def test_shorten_by_bytes_for_wide_characters():
    body = "😀" * 60_000 + f"\n{MARKER}\n"
    short = bodies.shorten(body, 65_536, max_bytes=65_536)
    assert len(short.encode("utf-8")) <= 65_536 and MARKER in short.splitlines()


def test_short_bodies_are_untouched():
    body = f"ok\n{MARKER}\n"
    assert bodies.shorten(body, 65_536, max_bytes=65_536) == body
