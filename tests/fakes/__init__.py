"""Fake GitHub and GitLab servers (real HTTP on 127.0.0.1) and their pytest fixtures.

Import the fixtures explicitly in a test module::

    from tests.fakes import fake_github, fake_gitlab  # noqa: F401  (pytest fixtures)

Each fixture starts a server, yields it, stops it, and fails the test if the server recorded any
violation (for GitHub: any request, or documented response, that does not validate against
GitHub's OpenAPI description; any request without the required headers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    from tests.fakes.github import FakeGitHub

    server = FakeGitHub().start()
    try:
        yield server
    finally:
        server.stop()
    assert server.violations == [], "GitHub API contract violations:\n" + "\n".join(
        server.violations)


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    from tests.fakes.gitlab import FakeGitLab

    server = FakeGitLab().start()
    try:
        yield server
    finally:
        server.stop()
    assert server.violations == [], "\n".join(server.violations)


@pytest.fixture
def ci_env(monkeypatch: pytest.MonkeyPatch):
    """``ci_env(env)`` makes ``env`` this process's CI environment (for tests that run the CLI's
    ``main``): the platform and token variables of the real environment are removed first."""
    def apply(env: dict[str, str]) -> None:
        for name in ("GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_TOKEN", "INPUT_GITHUB_TOKEN",
                     "GITLAB_TOKEN", "MODEL_GATE_GITLAB_TOKEN", "CI_JOB_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    return apply


if False:  # pragma: no cover - names for type checkers only
    from tests.fakes.github import FakeGitHub
    from tests.fakes.gitlab import FakeGitLab
