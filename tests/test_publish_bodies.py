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


def test_a_marker_with_state_is_still_ours_and_keeps_its_state_under_another_key():
    stated = marker_line("policy", "1.eJwrSS0u0c1JTSxJTVEoSsxLz1VIzs8rSa0oSc3PTEktLlbITc0rSczJzMsHALjXDBo=")
    assert stated != MARKER and bodies.has_marker(f"x\n{stated}\n", MARKER)
    assert not bodies.has_marker(f"x\n{stated}\n", marker_line("other"))
    assert bodies.body_marker(f"x\n{stated}") == MARKER
    moved = bodies.with_marker(f"x\n{stated}\n", marker_line("other"))
    assert moved == f"x\n{stated.replace('key=policy', 'key=other')}\n"


def test_retry_limit_is_at_most_half_of_the_rejected_body():
    assert bodies.retry_limit(bodies.GITHUB_SAFE_LIMIT, "x" * 65_000) == bodies.Limit(32_500, 32_500)
    assert bodies.retry_limit(bodies.GITHUB_SAFE_LIMIT, "x" * 200_000) == bodies.GITHUB_SAFE_LIMIT
    assert bodies.retry_limit(bodies.GITLAB_LIMIT, "x" * 10) == bodies.Limit(5, None)
