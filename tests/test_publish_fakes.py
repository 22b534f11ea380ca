"""The fakes themselves: their OpenAPI validation must catch a non-conforming client, otherwise
"every request validates" would prove nothing."""

from __future__ import annotations

import requests

from tests.fakes.github import PAT

HEADERS = {"Authorization": f"Bearer {PAT}", "Accept": "application/vnd.github+json",
           "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "model-gate/test"}


def test_conforming_requests_record_no_violation(fake_github):
    url = fake_github.base_url + "/repos/octo/gate/issues/7/comments"
    assert requests.post(url, json={"body": "hi"}, headers=HEADERS, timeout=5).status_code == 201
    resp = requests.get(url, params={"per_page": 100}, headers=HEADERS, timeout=5)
    assert resp.status_code == 200 and resp.json()[0]["body"] == "hi"
    assert fake_github.violations == []


def test_violations_are_recorded(fake_github):
    base = fake_github.base_url
    requests.post(base + "/repos/octo/gate/issues/7/comments", json={"text": "no body field"},
                  headers=HEADERS, timeout=5)
    requests.get(base + "/repos/octo/gate/pulls", headers=HEADERS, timeout=5)  # not described
    requests.get(base + "/user", headers={**HEADERS, "User-Agent": "python-requests"}, timeout=5)
    requests.get(fake_github.url + "/user", headers=HEADERS, timeout=5)  # outside /api/v3
    found = "\n".join(fake_github.violations)
    assert "InvalidRequestBody" in found or "body" in found
    assert "/repos/octo/gate/pulls" in found
    assert "User-Agent" in found
    assert "outside the API prefix" in found
    fake_github.violations.clear()  # expected: do not fail the fixture
