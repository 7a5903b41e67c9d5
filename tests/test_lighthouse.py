"""make lighthouse: which runs measure the browser rather than the page, and what is reported."""

from __future__ import annotations

import pytest

from kernelsite import lighthouse


def report(
    load: float,
    first_paint: float,
    tasks: list[tuple[float, float]],
    perf: float = 0.9,
    requests_end: tuple[float, ...] = (13, 98, 281, 448),
) -> dict:
    """A Lighthouse report reduced to what the run selection reads: observed load and first
    contentful paint (ms), the main thread's tasks (start, duration), when each request ended,
    and the four scores."""
    metrics = {"observedLoad": load, "observedFirstContentfulPaint": first_paint}
    items = [{"startTime": start, "duration": duration} for start, duration in tasks]
    requests = [{"networkEndTime": end} for end in requests_end]
    scores = dict.fromkeys(lighthouse.CATEGORIES, {"score": 1.0})
    return {
        "audits": {
            "metrics": {"details": {"items": [metrics]}},
            "main-thread-tasks": {"details": {"items": items}},
            "network-requests": {"details": {"items": requests}},
        },
        "categories": {**scores, "performance": {"score": perf}},
    }


# Shapes taken from real runs of this site: a page painted before its load event; a page whose
# first frame came 0.69 s after load while its main thread ran 32 ms of tasks (Chromium held it).
PAINTED_AT_ONCE = report(578, 255, [(20, 30), (120, 70), (200, 40), (300, 100)])
HELD = report(578, 1267, [(20, 30), (120, 100), (396, 102), (500, 80), (600, 20), (1100, 12)])
# A page that paints late because its own script keeps the main thread busy is not held, nor one
# that waits for data it fetched after load and paints when it arrives.
BUSY_AFTER_LOAD = report(400, 1300, [(400, 450), (900, 380)])
WAITS_FOR_DATA = report(400, 1300, [(1230, 40)], requests_end=(13, 98, 1220))


@pytest.mark.parametrize(
    "run, held",
    [(PAINTED_AT_ONCE, False), (HELD, True), (BUSY_AFTER_LOAD, False), (WAITS_FOR_DATA, False)],
)
def test_a_withheld_first_frame_is_recognised_by_an_idle_wait_after_load(run, held):
    assert lighthouse.withheld(run) is held


def runs_of(monkeypatch, reports: list[dict]) -> list[dict]:
    """median_run against Lighthouse runs that return `reports` in turn; the list shrinks as they
    are used, so a test can tell how many runs were made."""
    monkeypatch.setattr(lighthouse, "measure", lambda cli, url: reports.pop(0))
    monkeypatch.setattr(lighthouse, "RUNS", 3)
    return reports


def test_withheld_runs_are_repeated_counted_and_left_out_of_the_median(monkeypatch):
    held = [report(578, 1267, [(500, 40)], perf=p) for p in (0.80, 0.81)]
    fine = [report(578, 255, [], perf=p) for p in (0.97, 0.93, 0.99)]
    queue = runs_of(monkeypatch, [held[0], fine[0], held[1], fine[1], fine[2], fine[0]])
    chosen, perfs, count = lighthouse.median_run(None, "page/")
    assert (perfs, count) == ([0.93, 0.97, 0.99], 2)
    assert chosen is fine[0] and len(queue) == 1


def test_a_page_held_every_time_is_still_reported(monkeypatch):
    scores = [0.85, 0.80, 0.84, 0.81, 0.83, 0.82]
    held = [report(578, 1267, [(500, 40)], perf=p) for p in scores]
    runs_of(monkeypatch, held[:])
    chosen, perfs, count = lighthouse.median_run(None, "page/")
    assert (perfs, count) == (sorted(scores), 6) and chosen is held[5]


def test_the_table_shows_how_many_runs_were_held():
    unmeasured = dict.fromkeys(
        [
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "total-byte-weight",
        ],
        {},
    )
    line = lighthouse.row("fixed/", PAINTED_AT_ONCE | {"audits": unmeasured}, 8, [0.9, 0.95], 2)
    assert line.split()[:8] == ["fixed/", "0.90", "1.00", "1.00", "1.00", "0.90-0.95", "2", "-"]
