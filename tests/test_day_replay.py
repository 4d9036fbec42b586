"""The day rebuilt from the log: every event type the ledger can record has its place in ``Day``.

``booth.day.Day`` folds each event into what the rules need (polls state,
custody, who voted, the open release, ...).  A new event type that the day
forgot would silently change nothing after a restart; so every type in the
event registry is either handled, moves the polls state, or is listed as
ignored with the reason.
"""

from __future__ import annotations

import dataclasses

from booth import polls
from booth.day import HANDLERS, IGNORED, Day
from booth.ledger.event_types import EVENT_TYPES
from service_day import JPEG, KETUA, PINS, vote


def test_every_registered_event_type_is_handled_or_explicitly_ignored():
    registered = set(EVENT_TYPES)
    moves_polls = set(polls.STATE_AFTER_EVENT)
    forgotten = registered - set(HANDLERS) - set(IGNORED) - moves_polls
    assert forgotten == set(), f"event types Day.apply neither handles nor ignores: {sorted(forgotten)}"
    assert set(HANDLERS) & set(IGNORED) == set(), "an event type cannot be both handled and ignored"
    assert (set(HANDLERS) | set(IGNORED) | moves_polls) - registered == set(), "not in the event registry"
    assert all(reason.strip() for reason in IGNORED.values()), "each ignored type says why"
    # the custody steps the polls module lists are exactly the custody events
    assert {f"custody.{stage}" for stage in polls.CUSTODY_ORDER} == {t for t in registered if t.startswith("custody.")}


def test_a_restarted_booth_knows_the_same_day_as_the_one_that_wrote_the_log(service_booth):
    booth = service_booth("open")
    svc = booth.svc
    vote(svc, "DPT-0001", "2")
    token = svc.sign_in(KETUA, PINS[KETUA])
    svc.check_in(token, "DPT-0002")
    release = svc.release_ballot(token, "DPT-0002")["release"]
    svc.cancel_release(token, release, "pemilih pingsan")
    svc.clock.advance(svc.settings.min_cast_interval)
    svc.check_in(token, "DPT-0003")
    release = svc.release_ballot(token, "DPT-0003")["release"]
    svc.cast(release, "1")
    svc.slip_failed(release, "kertas habis")
    svc.reprint_slip(token)
    svc.slip_printed(release)
    svc.slip_confirmed(release)  # "Struk sesuai"
    svc.store_photo(release, JPEG)
    live = dataclasses.asdict(svc.day)

    replayed = Day()
    for entry in svc.ledger.entries():
        replayed.apply(entry)
    assert dataclasses.asdict(replayed) == live
    assert (replayed.casts, replayed.cancellations, replayed.slip_failures, replayed.reprints) == (2, 1, 1, 1)
    assert replayed.voted == {"DPT-0001", "DPT-0003"} and replayed.current is None

    reopened = booth.restart()
    after = dataclasses.asdict(reopened.day)
    # the restart itself logs a boot note (and a new size); the rest of the day is the same
    assert {k: v for k, v in after.items() if k != "size"} == {k: v for k, v in live.items() if k != "size"}
    booth.close()
