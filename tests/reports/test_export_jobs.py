"""Large case-list exports as background jobs (I1; issue 13 item 7): over
``EXPORT_INLINE_MAX_ROWS`` rows the download becomes a job the worker writes into the data
directory; the requester — and only she — watches its progress and fetches the file, the
same bytes the inline download gives; the worker removes it when it expires."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.models import Role
from casedesk.cases.models import Case
from casedesk.reports import exports
from casedesk.reports.exports import EXPIRE_KIND, export_path, export_write
from casedesk.reports.models import ExportJob
from casedesk.scheduling.models import Deadline
from casedesk.scheduling.services import worker_tick
from casedesk.scheduling.worker import run_worker
from tests.factories import make_user

QUEUE = reverse("console-queue")
START = reverse("console-export-cases")
NOW = dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC)


@pytest.fixture
def small_limit(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.EXPORT_INLINE_MAX_ROWS = 2
    settings.EXPORT_EXPIRE_HOURS = 24
    settings.EXPORTS_DIR = tmp_path / "exports"
    return settings


def start_job(client, user, query="state=open"):  # type: ignore[no-untyped-def]
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(START, {"query": query})
    assert response.status_code == 302
    job = ExportJob.objects.latest("id")
    assert response["Location"] == reverse("console-export", args=[job.pk])
    return job


@pytest.mark.django_db
def test_a_long_list_is_offered_as_a_job_and_a_short_one_streams(client, world, small_limit):
    # R: I1 (item 7) — the world has three open cases; the limit is two.
    client.force_login(world.engineer)
    offer = client.get(QUEUE, {"state": "open", "format": "csv", "page": "2"})
    assert not offer.streaming and offer.status_code == 200
    page = offer.content.decode()
    assert "more than 2 cases" in page and 'name="query" value="state=open"' in page
    assert not ExportJob.objects.exists()  # a GET starts nothing
    small_limit.EXPORT_INLINE_MAX_ROWS = 3  # exactly the limit: still inline
    assert client.get(QUEUE, {"state": "open", "format": "csv"}).streaming


@pytest.mark.django_db
def test_the_job_writes_the_same_file_the_inline_download_gives(client, world, small_limit):
    # R: I1 (item 7), ADR 0001 — queued for the worker, progress shown, then the file.
    client.force_login(world.engineer)
    small_limit.EXPORT_INLINE_MAX_ROWS = 3
    inline = b"".join(client.get(QUEUE, {"state": "open", "format": "csv"}).streaming_content)
    small_limit.EXPORT_INLINE_MAX_ROWS = 2
    job = start_job(client, world.engineer)
    assert (job.kind, job.params["state"], job.state) == ("cases", "open", "queued")
    assert job.expires_at == NOW + dt.timedelta(hours=24)
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "casedesk.reports.exports.export_run",
        [job.pk],
    )
    status = client.get(reverse("console-export", args=[job.pk]))
    assert status["Refresh"] == "3" and "Waiting for the worker" in status.content.decode()
    assert client.get(reverse("console-export-download", args=[job.pk])).status_code == 404
    assert export_write(job_id=job.pk) == "3 rows"
    assert export_write(job_id=job.pk) == "not queued"  # a second run changes nothing
    job.refresh_from_db()
    assert (job.state, job.rows_total, job.rows_written) == ("done", 3, 3)
    status = client.get(reverse("console-export", args=[job.pk]))
    assert not status.has_header("Refresh")
    assert reverse("console-export-download", args=[job.pk]) in status.content.decode()
    download = client.get(reverse("console-export-download", args=[job.pk]))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    assert b"".join(download.streaming_content) == inline


@pytest.mark.django_db
def test_progress_is_visible_while_the_worker_writes(client, world, small_limit, monkeypatch):
    # R: I1 (item 7) — rows written / total, committed as the file grows.
    job = start_job(client, world.engineer)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []

    def source(user, params):  # type: ignore[no-untyped-def]
        def rows():  # type: ignore[no-untyped-def]
            for i in range(5):
                seen.append(ExportJob.objects.get(pk=job.pk).rows_written)
                yield [i, "x"]

        return 5, ["n", "text"], rows()

    monkeypatch.setitem(exports.SOURCES, "cases", source)
    export_write(job_id=job.pk)
    assert seen == [0, 0, 2, 2, 4]
    job.refresh_from_db()
    assert (job.rows_total, job.rows_written) == (5, 5)
    client.force_login(world.engineer)
    job.state = "running"
    job.rows_written = 2
    job.save()
    page = client.get(reverse("console-export", args=[job.pk])).content.decode()
    assert "<strong>2</strong> of 5 rows" in page and 'value="40"' in page


@pytest.mark.django_db
def test_nobody_but_the_requester_sees_the_job_or_its_file(client, world, small_limit):
    # R: A3, A4 — another engineer, a manager and a contact get the 404 of a missing job.
    job = start_job(client, world.engineer)
    export_write(job_id=job.pk)
    other = make_user("olaf@support.example", role=Role.ENGINEER)
    for user in (other, world.manager, world.alice):
        client.force_login(user)
        for name in ("console-export", "console-export-download"):
            response = client.get(reverse(name, args=[job.pk]))
            assert response.status_code == 404, (user.email, name)
            assert b"Dialer" not in response.content
        again = client.post(reverse("console-export-again", args=[job.pk]))
        assert again.status_code == 404, user.email
    client.force_login(world.alice)  # a contact cannot start one either
    assert client.post(START, {"query": "state=open"}).status_code == 404
    client.logout()
    assert client.get(reverse("console-export-download", args=[job.pk])).status_code == 302
    assert ExportJob.objects.count() == 1


@pytest.mark.django_db
def test_the_job_applies_the_lists_filters(client, world, small_limit):
    # R: B10 — the filters the offer carried, not the whole queue.
    Case.objects.filter(pk=world.gina_case.pk).update(priority="high")
    job = start_job(client, world.engineer, query="state=open&priority=high")
    assert job.params["priority"] == "high"
    export_write(job_id=job.pk)
    lines = export_path(job.pk).read_bytes().decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines] == ["case", world.gina_case.number]


@pytest.mark.django_db
def test_a_failed_job_leaves_no_file_and_says_so(client, world, small_limit, monkeypatch):
    job = start_job(client, world.engineer)

    def broken(user, params):  # type: ignore[no-untyped-def]
        def rows():  # type: ignore[no-untyped-def]
            yield [1, "x"]
            raise RuntimeError("database went away")

        return 2, ["n", "text"], rows()

    monkeypatch.setitem(exports.SOURCES, "cases", broken)
    assert export_write(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and "went away" in job.error
    assert not list(small_limit.EXPORTS_DIR.iterdir())
    page = client.get(reverse("console-export", args=[job.pk])).content.decode()
    assert "The export failed" in page


@pytest.mark.django_db
def test_the_worker_removes_the_file_when_it_expires(client, world, small_limit):
    # R: I1 (item 7) — 24 hours after the request the file goes; the page says so.
    job = start_job(client, world.engineer)
    export_write(job_id=job.pk)
    path = export_path(job.pk)
    assert path.exists()
    deadline = Deadline.objects.get(kind=EXPIRE_KIND)
    assert deadline.due_at == job.expires_at
    with time_machine.travel(job.expires_at - dt.timedelta(seconds=1), tick=False):
        worker_tick(worker="t", now=job.expires_at - dt.timedelta(seconds=1))
    assert path.exists()
    deadline.refresh_from_db()
    assert deadline.state == "pending"
    with time_machine.travel(job.expires_at, tick=False):
        worker_tick(worker="t", now=job.expires_at)
    deadline.refresh_from_db()
    assert deadline.state == "done"
    assert not path.exists()
    job.refresh_from_db()
    assert job.state == "expired"
    assert client.get(reverse("console-export-download", args=[job.pk])).status_code == 404
    assert "has expired" in client.get(reverse("console-export", args=[job.pk])).content.decode()


@pytest.mark.django_db(transaction=True)
def test_casedesk_worker_runs_the_job(client, world, small_limit):
    # R: ADR 0001 — the django-tasks job is picked up by the worker loop.
    job = start_job(client, world.engineer)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        run_worker(once=True, idle_sleep=0)
    job.refresh_from_db()
    assert (job.state, job.rows_written) == ("done", 3)
    assert export_path(job.pk).read_bytes().startswith(b"\xef\xbb\xbf")


class WorkerKilled(BaseException):
    """What the database sees of a SIGKILL: the worker stops, nothing after it runs."""


def dying_source(after: int):  # type: ignore[no-untyped-def]
    def source(user, params):  # type: ignore[no-untyped-def]
        def rows():  # type: ignore[no-untyped-def]
            for i in range(after):
                yield [i, "x"]
            raise WorkerKilled

        return 10, ["n", "text"], rows()

    return source


def kill_worker_during(job, monkeypatch, at):  # type: ignore[no-untyped-def]
    """Run the job at ``at`` until its worker dies after two rows (one progress update)."""
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    monkeypatch.setitem(exports.SOURCES, "cases", dying_source(3))
    with time_machine.travel(at, tick=False), pytest.raises(WorkerKilled):
        export_write(job_id=job.pk)
    monkeypatch.undo()


@pytest.mark.django_db
def test_a_job_whose_worker_died_fails_after_the_stale_period_and_can_start_again(
    client, world, small_limit, monkeypatch
):
    # R: I1 (item 7) — the page stops spinning: the dead worker's job says what happened.
    small_limit.EXPORT_STALE_MINUTES = 15
    job = start_job(client, world.engineer)
    beat = NOW + dt.timedelta(minutes=1)
    kill_worker_during(job, monkeypatch, beat)
    job.refresh_from_db()
    assert (job.state, job.rows_written, job.heartbeat_at) == ("running", 2, beat)
    part = export_path(job.pk).with_name(f"export-{job.pk}.csv.part")
    assert part.exists()
    page = reverse("console-export", args=[job.pk])
    with time_machine.travel(beat + dt.timedelta(minutes=15), tick=False):
        status = client.get(page)  # exactly the stale period: still given the benefit
    assert status["Refresh"] == "3" and "<strong>2</strong> of 10 rows" in status.content.decode()
    job.refresh_from_db()
    assert job.state == "running"
    with time_machine.travel(beat + dt.timedelta(minutes=15, seconds=1), tick=False):
        status = client.get(page)
    assert not status.has_header("Refresh")
    text = status.content.decode()
    assert "the worker writing it stopped before it was done (2 rows" in text
    assert reverse("console-export-again", args=[job.pk]) in text
    job.refresh_from_db()
    assert job.state == "failed" and job.error.startswith("The worker stopped")
    assert "15 minutes" in job.error
    assert job.finished_at == beat + dt.timedelta(minutes=15, seconds=1)
    assert not part.exists()

    other = make_user("olaf@support.example", role=Role.ENGINEER)
    client.force_login(other)  # only the requester may start it again
    assert client.post(reverse("console-export-again", args=[job.pk])).status_code == 404
    client.force_login(world.engineer)
    assert client.get(reverse("console-export-again", args=[job.pk])).status_code == 405
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        response = client.post(reverse("console-export-again", args=[job.pk]))
    again = ExportJob.objects.latest("id")
    assert again.pk != job.pk and response["Location"] == reverse("console-export", args=[again.pk])
    assert (again.requester, again.kind, again.params, again.state) == (
        world.engineer,
        "cases",
        job.params,
        "queued",
    )
    assert ExportJob.objects.filter(requester=other).count() == 0
    assert export_write(job_id=again.pk) == "3 rows"
    # A running or finished job is not started twice by a stray POST.
    client.post(reverse("console-export-again", args=[again.pk]))
    assert ExportJob.objects.count() == 2


@pytest.mark.django_db
def test_a_job_reporting_progress_is_not_taken_as_dead(client, world, small_limit, monkeypatch):
    # R: I1 (item 7) — only silence counts: each progress update moves the heartbeat.
    small_limit.EXPORT_STALE_MINUTES = 15
    job = start_job(client, world.engineer)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    beats = []

    def slow(user, params):  # type: ignore[no-untyped-def]
        def rows():  # type: ignore[no-untyped-def]
            for minute in (10, 20, 30, 40):  # 40 minutes in all, ten between rows
                traveller = time_machine.travel(NOW + dt.timedelta(minutes=minute), tick=False)
                traveller.start()
                beats.append(exports.export_reap(job_id=job.pk, now=exports.clock.now()))
                yield [minute, "x"]
                traveller.stop()

        return 4, ["n", "text"], rows()

    monkeypatch.setitem(exports.SOURCES, "cases", slow)
    with time_machine.travel(NOW, tick=False):
        assert export_write(job_id=job.pk) == "4 rows"
    assert beats == [False, False, False, False]
    job.refresh_from_db()
    assert job.state == "done"


@pytest.mark.django_db
def test_a_worker_that_was_only_slow_changes_nothing_once_taken_as_dead(
    client, world, small_limit, monkeypatch
):
    # R: I1 (item 7) — no resurrection: no progress, no "done", no file after "failed".
    small_limit.EXPORT_STALE_MINUTES = 15
    late = NOW + dt.timedelta(hours=1)
    for every in (1, 100):  # declared dead between progress updates / before the last mark
        job = start_job(client, world.engineer)
        monkeypatch.setattr(exports, "PROGRESS_EVERY", every)

        def paused(user, params, job=job):  # type: ignore[no-untyped-def]
            def rows():  # type: ignore[no-untyped-def]
                yield [1, "x"]
                assert exports.export_reap(job_id=job.pk, now=late)
                yield [2, "y"]

            return 2, ["n", "text"], rows()

        monkeypatch.setitem(exports.SOURCES, "cases", paused)
        with time_machine.travel(NOW, tick=False):
            assert export_write(job_id=job.pk) == "abandoned"
        job.refresh_from_db()
        assert (job.state, job.finished_at) == ("failed", late)
        assert job.error.startswith("The worker stopped")
        assert not list(small_limit.EXPORTS_DIR.glob(f"export-{job.pk}.*"))


@pytest.mark.django_db
def test_the_watch_deadline_marks_a_dead_job_when_nobody_looks(
    client, world, small_limit, monkeypatch
):
    # R: I1 (item 7), convention 4 — durable: a deadline, rescheduled while the job lives.
    small_limit.EXPORT_STALE_MINUTES = 15
    job = start_job(client, world.engineer)
    watch = Deadline.objects.get(kind=exports.WATCH_KIND)
    assert watch.due_at == NOW + dt.timedelta(minutes=15)

    def tick(at):  # type: ignore[no-untyped-def]
        with time_machine.travel(at, tick=False):
            worker_tick(worker="t", now=at)

    tick(NOW + dt.timedelta(minutes=15))  # still queued: looked at again later
    pending = Deadline.objects.filter(kind=exports.WATCH_KIND, state="pending")
    assert [d.due_at for d in pending.all()] == [NOW + dt.timedelta(minutes=30)]
    beat = NOW + dt.timedelta(minutes=20)
    kill_worker_during(job, monkeypatch, beat)
    tick(NOW + dt.timedelta(minutes=30))  # running, heartbeat 10 minutes old
    assert [d.due_at for d in pending.all()] == [beat + dt.timedelta(minutes=15)]
    job.refresh_from_db()
    assert job.state == "running"
    tick(beat + dt.timedelta(minutes=15))  # due at exactly the period: not yet stale
    job.refresh_from_db()
    assert job.state == "running"
    (retry,) = pending.all()
    assert retry.due_at == beat + dt.timedelta(minutes=16)
    tick(retry.due_at)
    job.refresh_from_db()
    assert job.state == "failed" and job.error.startswith("The worker stopped")
    assert not pending.all().exists()
    assert (
        Deadline.objects.get(pk=retry.pk).outcome == f"export {job.pk} marked failed: no progress"
    )
