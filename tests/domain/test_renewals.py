"""What the renewal job does for a period on a day: every stage on its day, once, and catch-up without noise (R7, R8)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.renewals import (
    LOOK_BACK_DAYS,
    Done,
    Message,
    PeriodEnd,
    Renewal,
    Situation,
    Stage,
    due_stage,
    message_for,
    stage_day,
)

END = date(2027, 3, 31)
ONE_DAY = timedelta(days=1)


def on(offset: int, end: date = END) -> date:
    return end + timedelta(days=offset)


def period(under_notice=False, renewal=Renewal.NONE, done=(), end=END) -> PeriodEnd:
    return PeriodEnd(end, under_notice, renewal, tuple(done))


def renewed_by_the_job(day: date, done: list[Done]) -> tuple[bool, Renewal]:
    """No notice; the renewal exists, unpaid, once the job issued it."""
    return False, Renewal.UNPAID if any(entry.stage is Stage.RENEWAL for entry in done) else Renewal.NONE


def run_every_day(facts_on, first: date, last: date) -> list[tuple[date, Stage]]:
    """Run the job once a day from `first` to `last`, recording what it does; `facts_on(day, done)` gives the
    situation that day, knowing what the job did before."""
    done: list[Done] = []
    log = []
    day = first
    while day <= last:
        under_notice, renewal = facts_on(day, done)
        stage = due_stage(period(under_notice, renewal, done), day)
        if stage is not None:
            done.append(Done(stage, day))
            log.append((day, stage))
        day += ONE_DAY
    return log


@pytest.mark.parametrize(("offset", "expected"), [
    (-61, None), (-60, Stage.REMINDER_60), (-31, Stage.REMINDER_60), (-30, Stage.RENEWAL), (0, Stage.RENEWAL),
    (15, Stage.RENEWAL), (LOOK_BACK_DAYS, Stage.RENEWAL), (LOOK_BACK_DAYS + 1, None),
])
def test_r8_a_subscription_that_renews_itself_is_reminded_at_60_days_and_renewed_at_30(offset, expected):
    assert due_stage(period(), on(offset)) is expected


def test_r8_every_day_of_a_year_sends_each_message_once_on_its_day():
    assert run_every_day(renewed_by_the_job, on(-120), on(120)) == [
        (on(-60), Stage.REMINDER_60), (on(-30), Stage.RENEWAL), (on(-7), Stage.UNPAID_7), (on(15), Stage.UNPAID_15)]


def test_r8_a_renewal_paid_before_the_end_stops_the_unpaid_reminders():
    def paid_ten_days_before_the_end(day, done):
        under_notice, renewal = renewed_by_the_job(day, done)
        return under_notice, Renewal.PAID if day >= on(-10) else renewal

    assert run_every_day(paid_ten_days_before_the_end, on(-120), on(120)) == [
        (on(-60), Stage.REMINDER_60), (on(-30), Stage.RENEWAL)]


def test_r7_under_notice_it_is_reminded_twice_then_ends_on_its_end_date():
    assert run_every_day(lambda day, done: (True, Renewal.NONE), on(-120), on(120)) == [
        (on(-60), Stage.REMINDER_60), (on(-30), Stage.REMINDER_30), (on(0), Stage.ENDED)]
    assert message_for(Situation.UNDER_NOTICE, Stage.REMINDER_30) is Message.ENDING
    assert message_for(Situation.UNDER_NOTICE, Stage.ENDED) is Message.ENDED


def test_r7_notice_withdrawn_after_the_30_day_mark_renews_it_at_once():
    def withdrawn_20_days_before(day, done):
        return day < on(-20), renewed_by_the_job(day, done)[1]

    log = run_every_day(withdrawn_20_days_before, on(-120), on(-1))
    assert log == [(on(-60), Stage.REMINDER_60), (on(-30), Stage.REMINDER_30), (on(-20), Stage.RENEWAL),
                   (on(-7), Stage.UNPAID_7)]


def test_r8_the_club_renewing_itself_early_is_reminded_only_to_pay():
    log = run_every_day(lambda day, done: (False, Renewal.UNPAID), on(-90), on(60))
    assert log == [(on(-60), Stage.REMINDER_60), (on(-30), Stage.REMINDER_30), (on(-7), Stage.UNPAID_7),
                   (on(15), Stage.UNPAID_15)]
    assert {message_for(Situation.RENEWAL_UNPAID, stage) for _, stage in log[:3]} == {Message.PAY_RENEWAL}
    assert message_for(Situation.RENEWAL_UNPAID, Stage.UNPAID_15) is Message.RENEWAL_OVERDUE


def test_r8_a_paid_renewal_gets_no_message():
    assert run_every_day(lambda day, done: (False, Renewal.PAID), on(-90), on(60)) == []


@pytest.mark.parametrize(("first_run", "expected"), [
    # Days without runs: only the latest stage still relevant is done, once.
    (-45, [(-45, Stage.REMINDER_60), (-30, Stage.RENEWAL), (-7, Stage.UNPAID_7), (15, Stage.UNPAID_15)]),
    (-29, [(-29, Stage.RENEWAL), (-7, Stage.UNPAID_7), (15, Stage.UNPAID_15)]),
    # Renewed by the catch-up five days before the end: no unpaid reminder the next morning.
    (-5, [(-5, Stage.RENEWAL), (15, Stage.UNPAID_15)]),
    (3, [(3, Stage.RENEWAL), (15, Stage.UNPAID_15)]),
    (20, [(20, Stage.RENEWAL)]),
])
def test_r8_a_run_after_days_without_runs_catches_up_without_noise(first_run, expected):
    assert run_every_day(renewed_by_the_job, on(first_run), on(90)) == [(on(offset), stage) for offset, stage in expected]


def test_r8_a_run_after_days_without_runs_sends_no_60_day_reminder_once_the_30_day_one_was_due():
    assert due_stage(period(under_notice=True), on(-20)) is Stage.REMINDER_30
    assert due_stage(period(renewal=Renewal.UNPAID), on(-20)) is Stage.REMINDER_30


def test_r8_a_replayed_earlier_day_sends_nothing_a_later_day_already_covered():
    done = [Done(Stage.REMINDER_30, on(-30))]
    assert due_stage(period(under_notice=True, done=done), on(-45)) is None
    # The same day run twice: nothing the second time.
    assert due_stage(period(under_notice=True, done=done), on(-30)) is None


def test_r8_the_automatic_invoice_is_issued_once_even_when_the_club_cancels_it():
    # The club cancelled the automatic invoice to start again: the job does not issue another behind its back.
    assert due_stage(period(done=[Done(Stage.RENEWAL, on(-30))]), on(-10)) is None


@pytest.mark.parametrize(("end", "sixty", "thirty"), [
    (date(2028, 4, 29), date(2028, 2, 29), date(2028, 3, 30)),   # a leap day
    (date(2027, 4, 30), date(2027, 3, 1), date(2027, 3, 31)),    # February of a common year
    (date(2027, 1, 31), date(2026, 12, 2), date(2027, 1, 1)),    # across the new year
    (date(2029, 2, 28), date(2028, 12, 30), date(2029, 1, 29)),  # the end of February after a 5-year term
])
def test_r8_stages_fall_on_calendar_days_around_month_ends_and_leap_days(end, sixty, thirty):
    assert (stage_day(Stage.REMINDER_60, end), stage_day(Stage.RENEWAL, end)) == (sixty, thirty)
    assert due_stage(period(end=end), sixty - ONE_DAY) is None
    assert due_stage(period(end=end), sixty) is Stage.REMINDER_60
    assert due_stage(period(end=end), thirty) is Stage.RENEWAL


situations = st.sampled_from([(False, Renewal.NONE), (True, Renewal.NONE), (False, Renewal.UNPAID),
                              (False, Renewal.PAID)])


@given(st.lists(situations, min_size=1, max_size=8), st.sets(st.integers(-120, 90), max_size=60),
       st.integers(0, 3))
def test_r8_whatever_the_runs_and_changes_no_stage_is_done_twice(changes, skipped_days, replays):
    """Runs on any days, some missed, some replayed, while the situation changes: never the same stage twice."""
    first = on(-120)
    done: list[Done] = []
    for index in range(211 + replays * 10):
        day = first + timedelta(days=index if index < 211 else (index * 7) % 211)  # late replays of earlier days
        if (day - END).days in skipped_days:
            continue
        under_notice, renewal = changes[min(index // 30, len(changes) - 1)]
        stage = due_stage(period(under_notice, renewal, done), day)
        if stage is not None:
            done.append(Done(stage, day))
    stages = [entry.stage for entry in done]
    assert len(stages) == len(set(stages))


def test_r4_r8_a_period_never_paid_is_not_renewed_on_top_of_its_debt():
    unpaid = PeriodEnd(END, False, Renewal.NONE, paid=False)
    assert unpaid.situation is Situation.PERIOD_UNPAID
    assert [due_stage(unpaid, on(offset)) for offset in (-60, -30, -7, 0, 15)] == [None] * 5
    # Under notice, it is still told it ends.
    assert due_stage(PeriodEnd(END, True, Renewal.NONE, paid=False), on(-30)) is Stage.REMINDER_30


def test_r8_nothing_is_renewed_once_the_look_back_has_passed_today_whatever_day_is_replayed():
    assert due_stage(period(), on(-30), today=on(LOOK_BACK_DAYS)) is Stage.RENEWAL
    assert due_stage(period(), on(-30), today=on(LOOK_BACK_DAYS + 1)) is None


def test_r8_a_cancelled_automatic_invoice_is_followed_a_week_before_the_end_by_a_not_renewed_reminder():
    cancelled = period(done=[Done(Stage.RENEWAL, on(-30), invoice_id=7)])
    assert due_stage(cancelled, on(-8)) is None
    assert due_stage(cancelled, on(-7)) is Stage.UNPAID_7
    assert message_for(cancelled.situation, Stage.UNPAID_7) is Message.NOT_RENEWED
    assert due_stage(PeriodEnd(END, False, Renewal.NONE, (Done(Stage.RENEWAL, on(-30)), Done(Stage.UNPAID_7, on(-7)))),
                     on(10)) is None


@pytest.mark.parametrize(("since", "day", "expected"), [
    (on(20), on(21), None),               # a lapsed club restarting on the invoice date: nothing overdue yet
    (on(-29), on(-8), None),              # renewed the day after the 30-day mark: not reminded for it...
    (on(-29), on(-7), Stage.UNPAID_7),     # ... but a week before the end, it is
    (on(-7), on(-7), None),               # renewed the day of the 7-day mark
])
def test_r8_a_renewal_is_not_chased_for_days_before_it_existed(since, day, expected):
    unpaid = PeriodEnd(END, False, Renewal.UNPAID, renewal_since=since)
    assert due_stage(unpaid, day) is expected
