"""The fast presentation filters print what Django's ``date``/``timesince`` printed (B10)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.template.defaultfilters import date as django_date
from django.utils.timesince import timesince
from hypothesis import given
from hypothesis import strategies as st

from casedesk.web.templatetags.casedesk_ui import age, iso, utc, utc_day, utc_time
from casedesk.web.widgets import FilterSelect

moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)


@given(moments)
def test_utc_formats_match_django_date_in_utc(value):
    assert utc(value) == django_date(value, "j M Y, H:i")
    assert utc_day(value) == django_date(value, "j M Y")
    assert utc_time(value) == django_date(value, "H:i")
    assert dt.datetime.fromisoformat(iso(value)) == value


def test_utc_converts_other_time_zones():
    sao_paulo = dt.timezone(dt.timedelta(hours=-3))
    assert utc(dt.datetime(2026, 2, 16, 23, 30, tzinfo=sao_paulo)) == "17 Feb 2026, 02:30"


@given(st.integers(min_value=0, max_value=28 * 86400 - 1))
def test_age_says_what_timesince_says_at_depth_one(seconds):
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    then = now - dt.timedelta(seconds=seconds)
    with time_machine.travel(now, tick=False):
        ours = age(then)
    theirs = timesince(then, now, depth=1)
    # Below four weeks the units are exact; beyond, timesince counts calendar months.
    assert ours == theirs


def test_filter_select_marks_the_value_and_escapes_labels():
    widget = FilterSelect(choices=[("", "Any"), ("a&b", "<A & B>"), ("c", "C")])
    html = widget.render("group", "a&b", attrs={"id": "f_group"})
    assert html.startswith('<select id="f_group" name="group">')
    assert '<option value="a&amp;b" selected>&lt;A &amp; B&gt;</option>' in html
    assert '<option value="c">C</option>' in html


ZONES = ["UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Tokyo", "Australia/Lord_Howe"]


@given(moments, st.sampled_from(ZONES))
def test_local_formats_in_the_active_zone_with_its_name(value, zone):
    # R: A2 — what the viewer reads is their wall clock, and which clock it is.
    from django.utils import timezone

    from casedesk.web.templatetags.casedesk_ui import local, local_day, local_time

    with timezone.override(zone):
        wall = timezone.localtime(value)  # what a template hands the ``date`` filter
        # Inside a DST fold (Lord Howe's 30-minute one, say) Django's "T" prints nothing,
        # though the aware moment knows its offset: the label must still name it.
        name = django_date(wall, "T") or wall.tzname()
        label = f"UTC{name}" if name[:1] in "+-" else name
        assert local(value) == f"{django_date(wall, 'j M Y, H:i')} {label}"
        assert local_day(value) == django_date(wall, "j M Y")
        assert local_time(value) == f"{django_date(wall, 'H:i')} {label}"
        assert dt.datetime.fromisoformat(iso(value)).utcoffset() == dt.timedelta(0)


def test_linkify_escapes_and_links_only_web_and_mail_addresses():
    from casedesk.web.templatetags.casedesk_ui import linkify

    html = linkify("See <b>https://x.example/a?b=1&c=2</b>\r\njavascript:alert(1) me@x.example")
    assert html.startswith("See &lt;b&gt;")
    assert '<a href="https://x.example/a?b=1&amp;c=2" rel="noopener nofollow">' in html
    assert "</a>&lt;/b&gt;<br>" in html
    assert "<br>javascript:alert(1) " in html
    assert '<a href="mailto:me@x.example" rel="noopener nofollow">me@x.example</a>' in html
    assert linkify("") == "" and linkify(None) == ""
