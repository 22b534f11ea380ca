"""gate/publish/gitlab.py on its own: GitLabPublisher's project encoding, MR lookup, paging (through
``x-next-page`` alone too), ownership and upsert rules, driven directly over real HTTP against the
fake GitLab (tests/fakes/gitlab.py)."""

from __future__ import annotations

import pytest

from gate.publish import bodies, gitlab
from gate.publish.environment import GitLabContext
from gate.publish.http import HttpError, Redactor
from tests.fakes.ci import HEAD_SHA, FakeClock
from tests.fakes.gitlab import GL_TOKEN, FakeGitLab

MARKER = bodies.marker_for("policy")
BOT = "project_42_bot_abc"


def _publisher(server: FakeGitLab, project: str = "42", mr_iid: int | None = 3,
               commit_sha: str | None = None) -> gitlab.GitLabPublisher:
    ctx = GitLabContext(api_url=server.base_url, project_id=project, mr_iid=mr_iid, token=GL_TOKEN,
                        job_token_only=False, commit_sha=commit_sha)
    clock = FakeClock()
    client = gitlab.gitlab_client(ctx, sleep=clock.sleep, clock=clock.now, redact=Redactor())
    return gitlab.GitLabPublisher(ctx, client, web_url="https://gitlab.example/group/app/")


def _body(text: str, stamp: str = "700.8000") -> str:
    return bodies.with_stamp(f"## model-gate\n\n{text}\n{MARKER}\n", stamp)


def _fixed(text: str, stamp: str = "700.8000"):
    return lambda previous, limit: _body(text, stamp)


def test_a_project_path_is_url_encoded_and_an_id_or_encoded_path_kept(fake_gitlab):
    assert _publisher(fake_gitlab, "group/app").project == "group%2Fapp"
    assert _publisher(fake_gitlab, "group%2Fapp").project == "group%2Fapp"      # not encoded twice
    assert _publisher(fake_gitlab, "42").project == "42"
    result = _publisher(fake_gitlab, "group/app").upsert_note(3, _fixed("by path"), MARKER, "700.8000")
    assert result.action == "created" and [n["body"] for n in fake_gitlab.mr_notes("42", 3)] == [_body("by path")]


def test_the_mr_of_a_commit_is_its_first_opened_one(fake_gitlab):
    fake_gitlab.mrs_by_sha[HEAD_SHA] = [{"iid": 1, "state": "merged"}, {"iid": 6, "state": "opened"},
                                        {"iid": 8, "state": "opened"}]
    assert _publisher(fake_gitlab, mr_iid=None, commit_sha=HEAD_SHA).resolve_mr() == 6
    assert _publisher(fake_gitlab, mr_iid=None, commit_sha="2" * 40).resolve_mr() is None
    assert _publisher(fake_gitlab, mr_iid=None).resolve_mr() is None
    assert _publisher(fake_gitlab, mr_iid=4).resolve_mr() == 4


@pytest.mark.parametrize("only_next_page", [False, True])
def test_every_page_of_notes_is_listed(fake_gitlab, only_next_page):
    fake_gitlab.omit_totals = fake_gitlab.omit_link = only_next_page       # > 10,000 records: no totals
    for k in range(205):
        fake_gitlab.add_note("42", 3, f"note {k}")
    notes = _publisher(fake_gitlab).list_notes(3)
    assert [n["body"] for n in notes] == [f"note {k}" for k in range(205)]
    assert len(fake_gitlab.requests("GET", "merge_requests/3/notes$")) == 3


def test_create_unchanged_updated_and_the_note_url(fake_gitlab):
    pub = _publisher(fake_gitlab)
    first = pub.upsert_note(3, _fixed("one"), MARKER, "700.8000")
    assert first.action == "created"
    assert first.url == f"https://gitlab.example/group/app/-/merge_requests/3#note_{first.item_id}"
    assert pub.upsert_note(3, _fixed("one", "701.1"), MARKER, "701.1").action == "unchanged"
    updated = pub.upsert_note(3, _fixed("two", "702.1"), MARKER, "702.1")
    assert updated.action == "updated" and updated.item_id == first.item_id
    assert [n["body"] for n in fake_gitlab.mr_notes("42", 3)] == [_body("two", "702.1")]


def test_system_notes_and_other_authors_are_never_ours(fake_gitlab):
    fake_gitlab.add_note("42", 3, _body("a human quoting the marker"), author="alice")
    fake_gitlab.add_note("42", 3, _body("a system note"), author=BOT, system=True)
    result = _publisher(fake_gitlab).upsert_note(3, _fixed("ours"), MARKER, "700.8000")
    assert result.action == "created"
    assert [n["body"] for n in fake_gitlab.mr_notes("42", 3)][:2] == [_body("a human quoting the marker"),
                                                                      _body("a system note")]


def test_a_newer_pipelines_note_stays_and_duplicates_go(fake_gitlab):
    newer = fake_gitlab.add_note("42", 3, _body("newer", "900.1"), author=BOT)
    fake_gitlab.add_note("42", 3, _body("dup", "650.1"), author=BOT)
    result = _publisher(fake_gitlab).upsert_note(3, _fixed("older", "800.1"), MARKER, "800.1")
    assert result.action == "stale" and result.item_id == newer["id"] and len(result.deleted) == 1
    assert "written by a newer pipeline" in result.notes[0]
    assert [n["body"] for n in fake_gitlab.mr_notes("42", 3)] == [_body("newer", "900.1")]


def test_nothing_to_say_sends_nothing(fake_gitlab):
    assert _publisher(fake_gitlab).upsert_note(3, lambda p, lim: None, MARKER, "1").action == "skipped"
    assert fake_gitlab.requests("POST") == []


def test_a_note_too_long_is_retried_once_within_half(fake_gitlab):
    rooms: list[bodies.Limit] = []

    def body_for(previous, limit):
        rooms.append(limit)
        return _body("x" * (1_100_000 if len(rooms) == 1 else limit.max_chars - 100))

    result = _publisher(fake_gitlab).upsert_note(3, body_for, MARKER, "700.8000")
    assert result.action == "created" and rooms[0] == bodies.GITLAB_LIMIT
    assert rooms[1].max_chars <= 550_100 and "retried once" in result.notes[0]
    posts = fake_gitlab.requests("POST")
    assert len(posts) == 2 and len(posts[1].json["body"]) < 1_000_000 < len(posts[0].json["body"])


def test_a_note_that_cannot_shrink_is_an_http_error(fake_gitlab):
    big = _body("x" * 1_100_000)
    with pytest.raises(HttpError):
        _publisher(fake_gitlab).upsert_note(3, lambda p, lim: big, MARKER, "700.8000")
    assert len(fake_gitlab.requests("POST")) == 1


def test_the_setup_hint_names_the_variable_and_scope():
    hint = gitlab.setup_hint()
    assert "MODEL_GATE_GITLAB_TOKEN" in hint and "`api`" in hint and "not protected" in hint
