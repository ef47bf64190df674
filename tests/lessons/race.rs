//! `race`: three mirrors answering after 0.3, 0.1 and 0.2 s in one
//! `select!`; then `select!` in a loop against a tick, with a batch that
//! lives inside the losing future (`gather`) or outside it (`fill`).

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::{CancelBy, Playback, Refusal};
use lanes::trace::Level;

const ID: &str = "race";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

#[test]
fn the_fastest_mirror_wins_and_the_others_are_cancelled_at_0_1_s() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    let mirrors = ["mirror 1", "mirror 2", "mirror 3"].map(|n| lane(&trace, n));
    for mirror in mirrors {
        // Futures awaited in place inside main's task: children of main.
        assert_eq!(trace.parent(mirror), Some(main));
        assert_eq!(trace.first_run_us(mirror), Some(0));
    }
    assert_eq!(done_at(&trace, mirrors[1]), s(0.1));
    assert_eq!(cancelled_at(&trace, mirrors[0]), s(0.1));
    assert_eq!(cancelled_at(&trace, mirrors[2]), s(0.1));
    assert_eq!(
        trace.log_time("mirror 2 answered first, at 100ms"),
        Some(s(0.1))
    );
    // Neither loser does anything after 0.1 s.
    for mirror in [mirrors[0], mirrors[2]] {
        assert!(trace.lane_events(mirror).all(|e| e.t_us <= s(0.1)));
    }
}

#[test]
fn the_mirrors_wait_on_their_sleeps_and_main_on_its_children() {
    let trace = run(ID, &[]);
    let sleep = Some(line_of("sleep(latency).await"));
    assert_eq!(
        trace.waits(lane(&trace, "mirror 3")),
        vec![(0, "Sleep 200ms", sleep)]
    );
    // biased: select! polls mirror 1 first at 0.1 s, still asleep, before
    // it finds mirror 2 ready and drops mirror 1.
    assert_eq!(
        trace.waits(lane(&trace, "mirror 1")),
        vec![(0, "Sleep 300ms", sleep), (s(0.1), "Sleep 300ms", sleep)]
    );
    assert_eq!(trace.waits(lane(&trace, "main"))[0], (0, "join", None));
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run(ID, &[]);
    let ended = cancelled_at(&trace, lane(&trace, "mirror 1"));
    let shown = lanes::render::text::seconds(ended);
    assert_eq!(shown_choice(ID, &[]), Some(shown.as_str()));
    assert_eq!(shown, "0.1 s");
    // A slower mirror 2 hands the win to mirror 3 at 0.2 s.
    assert_eq!(shown_choice(ID, &["mirror2_ms=400"]), Some("0.2 s"));
    // The fastest mirror 1 wins at 50 ms, which no choice names.
    assert_eq!(shown_choice(ID, &["mirror1_ms=50"]), None);
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let question = lesson.question(&lesson.default_knobs());
    assert!(
        question.contains("answer after 0.3 s, 0.1 s and 0.2 s"),
        "{question}"
    );
}

#[test]
fn a_tie_goes_to_the_first_branch_because_of_biased() {
    let trace = run(ID, &["mirror1_ms=100", "mirror2_ms=100", "mirror3_ms=100"]);
    assert_eq!(done_at(&trace, lane(&trace, "mirror 1")), s(0.1));
    assert_eq!(cancelled_at(&trace, lane(&trace, "mirror 2")), s(0.1));
    assert_eq!(cancelled_at(&trace, lane(&trace, "mirror 3")), s(0.1));
    assert_eq!(
        trace.log_time("mirror 1 answered first, at 100ms"),
        Some(s(0.1))
    );
}

#[test]
fn gather_loses_the_items_it_held_when_the_tick_wins() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    assert_eq!(
        lane_logs(&trace, "gather 1"),
        [
            (s(0.2), "took item 1, 1 held"),
            (s(0.3), "took item 2, 2 held"),
            (s(0.4), "took item 3, 3 held"),
        ]
    );
    let gather_1 = lane(&trace, "gather 1");
    assert_eq!(trace.parent(gather_1), Some(main));
    assert_eq!(trace.first_run_us(gather_1), Some(s(0.1)));
    assert_eq!(cancelled_at(&trace, gather_1), s(0.45));
    assert_eq!(trace.log_time("tick at 450ms"), Some(s(0.45)));
    // The next turn's gather starts at once, takes 4, 5, 6 and returns a
    // short batch when the channel closes.
    let gather_2 = lane(&trace, "gather 2");
    assert_eq!(trace.first_run_us(gather_2), Some(s(0.45)));
    assert_eq!(done_at(&trace, gather_2), s(0.7));
    assert_eq!(
        lane_logs(&trace, "gather 2"),
        [
            (s(0.5), "took item 4, 1 held"),
            (s(0.6), "took item 5, 2 held"),
            (s(0.7), "took item 6, 3 held"),
        ]
    );
    assert_eq!(
        trace.log_time("got a batch at 700ms batch=[4, 5, 6]"),
        Some(s(0.7))
    );
    assert!(trace.lane_named("gather 3").is_none());
    let warnings = warn_logs(&trace);
    assert_eq!(
        warnings,
        vec![(
            s(0.7),
            Some(main),
            Level::Warn,
            "gather: items lost sent=6 received=[4, 5, 6] lost=[1, 2, 3]"
        )]
    );
    let producer = lane(&trace, "producer (gather)");
    assert_eq!(trace.parent(producer), Some(main));
    assert_eq!(done_at(&trace, producer), s(0.7));
}

#[test]
fn fill_loses_nothing_although_it_is_cancelled_the_same_way() {
    let trace = run(ID, &[]);
    let fill_1 = lane(&trace, "fill 1");
    assert_eq!(trace.first_run_us(fill_1), Some(s(0.7)));
    assert_eq!(cancelled_at(&trace, fill_1), s(1.05));
    assert_eq!(
        lane_logs(&trace, "fill 1"),
        [
            (s(0.8), "took item 1, 1 held"),
            (s(0.9), "took item 2, 2 held"),
            (s(1.0), "took item 3, 3 held"),
        ]
    );
    assert_eq!(trace.log_time("tick at 1.05s held=3"), Some(s(1.05)));
    assert_eq!(
        lane_logs(&trace, "fill 2"),
        [(s(1.1), "took item 4, 4 held")]
    );
    assert_eq!(done_at(&trace, lane(&trace, "fill 2")), s(1.1));
    assert_eq!(
        trace.log_time("got a batch at 1.1s batch=[1, 2, 3, 4]"),
        Some(s(1.1))
    );
    assert_eq!(done_at(&trace, lane(&trace, "fill 3")), s(1.3));
    assert_eq!(
        trace.log_time("got a batch at 1.3s batch=[5, 6]"),
        Some(s(1.3))
    );
    assert_eq!(
        trace.log_time("fill: nothing lost sent=6 received=[1, 2, 3, 4, 5, 6]"),
        Some(s(1.3))
    );
    assert_eq!(done_at(&trace, lane(&trace, "producer (fill)")), s(1.3));
    assert_eq!(trace.log_time("done at 1.3s"), Some(s(1.3)));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(1.3));
    assert_eq!(finished_at(&trace), s(1.3));
}

#[test]
fn the_loop_lanes_wait_on_recv_the_tick_and_the_producer_sleep() {
    let trace = run(ID, &[]);
    let source = catalog().unwrap().lesson(ID).unwrap().source;
    let recv_lines: Vec<u32> = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("rx.recv().awaiting(\"mpsc recv\")"))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(recv_lines.len(), 2, "gather and fill each await recv once");
    for (name, line) in [("gather 1", recv_lines[0]), ("fill 1", recv_lines[1])] {
        let waits = trace.waits(lane(&trace, name));
        assert!(!waits.is_empty(), "{name}");
        assert!(
            waits
                .iter()
                .all(|w| (w.1, w.2) == ("mpsc recv", Some(line))),
            "{name}: {waits:?}"
        );
    }
    let producer_sleep = Some(line_of("sleep(every).await"));
    let waits = trace.waits(lane(&trace, "producer (gather)"));
    assert_eq!(waits[0], (s(0.1), "Sleep 100ms", producer_sleep));
    assert!(waits.iter().all(|w| w.1 == "Sleep 100ms"), "{waits:?}");
    // In the loops main shows the tick, the last branch select! polls.
    let ticks: Vec<u32> = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("ticks.tick().awaiting(\"Interval::tick\")"))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(ticks.len(), 2);
    let main = trace.waits(lane(&trace, "main"));
    assert_eq!(main[1], (s(0.1), "Interval::tick", Some(ticks[0])));
    assert!(main.contains(&(s(0.7), "Interval::tick", Some(ticks[1]))));
    assert!(main.iter().skip(1).all(|w| w.1 == "Interval::tick"
        || (w.1 == "JoinHandle" && w.2 == Some(line_of("producer.awaiting(\"JoinHandle\")")))));
}

#[test]
fn a_slow_tick_never_interrupts_a_batch() {
    let trace = run(ID, &["tick_ms=1000"]);
    assert!(logs_with(&trace, "tick at").is_empty());
    assert_eq!(
        trace.log_time("got a batch at 500ms batch=[1, 2, 3, 4]"),
        Some(s(0.5))
    );
    assert_eq!(
        trace.log_time("gather: nothing lost sent=6 received=[1, 2, 3, 4, 5, 6]"),
        Some(s(0.7))
    );
    assert_eq!(done_at(&trace, lane(&trace, "gather 1")), s(0.5));
    assert_eq!(finished_at(&trace), s(1.3));
}

#[test]
fn a_tick_between_batches_costs_nothing() {
    let trace = run(ID, &["batch=3"]);
    assert_eq!(
        trace.log_time("got a batch at 400ms batch=[1, 2, 3]"),
        Some(s(0.4))
    );
    // gather 2 loses to the tick at 0.45 s, holding nothing.
    let gather_2 = lane(&trace, "gather 2");
    assert_eq!(cancelled_at(&trace, gather_2), s(0.45));
    assert!(lane_logs(&trace, "gather 2").is_empty());
    assert_eq!(
        trace.log_time("gather: nothing lost sent=6 received=[1, 2, 3, 4, 5, 6]"),
        Some(s(0.7))
    );
    assert_eq!(trace.log_time("tick at 1.05s held=0"), Some(s(1.05)));
}

#[test]
fn slower_items_let_the_tick_win_every_time() {
    let trace = run(ID, &["item_ms=150"]);
    assert_eq!(cancelled_at(&trace, lane(&trace, "gather 1")), s(0.45));
    assert_eq!(cancelled_at(&trace, lane(&trace, "gather 2")), s(0.8));
    assert_eq!(
        trace.log_time("gather: items lost sent=6 received=[5, 6] lost=[1, 2, 3, 4]"),
        Some(s(1.0))
    );
    assert_eq!(trace.log_time("tick at 1.35s held=2"), Some(s(1.35)));
    assert_eq!(
        trace.log_time("fill: nothing lost sent=6 received=[1, 2, 3, 4, 5, 6]"),
        Some(s(1.9))
    );
    assert_eq!(finished_at(&trace), s(1.9));
}

#[test]
fn one_item_in_batches_of_one_reads_right() {
    let knobs = [
        "items=1",
        "item_ms=7",
        "tick_ms=1000",
        "batch=1",
        "mirror1_ms=3",
    ];
    let trace = run(ID, &knobs);
    assert_eq!(
        trace.log_time("mirror 1 answered first, at 3ms"),
        Some(s(0.003))
    );
    assert_eq!(
        trace.log_time("got a batch at 10ms batch=[1]"),
        Some(s(0.01))
    );
    assert_eq!(
        trace.log_time("gather: nothing lost sent=1 received=[1]"),
        Some(s(0.01))
    );
    assert_eq!(trace.log_time("done at 17ms"), Some(s(0.017)));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["item_ms=150"], &["batch=1"]] {
        let trace = run(ID, knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["tick_ms=250", "items=9", "batch=2"]);
}

#[test]
fn live_a_mirror_cannot_be_cancelled_but_a_producer_can() {
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let mut playback = Playback::new(lesson.run_spec(lesson.default_knobs()), true);
    playback.tick(Duration::from_millis(50));
    pump_until(&mut playback, "the mirrors", |t| {
        t.lane_named("mirror 3")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    // A mirror is a future inside main's task: only main can drop it.
    let mirror_1 = lane(playback.trace(), "mirror 1");
    assert_eq!(playback.cancel(mirror_1), Err(Refusal::InPlace));

    // At 0.35 s gather 1 holds items 1 and 2. Aborting the producer drops
    // its sender: the channel closes and gather 1 returns what it holds.
    playback.tick(Duration::from_millis(300));
    pump_until(&mut playback, "item 2", |t| {
        t.log_time("took item 2, 2 held").is_some()
    });
    let producer = lane(playback.trace(), "producer (gather)");
    assert_eq!(playback.cancel(producer), Ok(CancelBy::Abort));
    playback.tick(Duration::from_secs(2));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    let trace = playback.trace();
    let cancelled = cancelled_at(trace, producer);
    assert!((s(0.35)..s(0.4)).contains(&cancelled), "{cancelled}");
    assert!(trace.cancelled_by_you(producer));
    assert_eq!(done_at(trace, lane(trace, "gather 1")), cancelled);
    let said: Vec<&str> = logs_with(trace, "gather:").iter().map(|l| l.2).collect();
    assert_eq!(said, ["gather: the producer was cancelled received=[1, 2]"]);
    // The second loop runs as before, 0.6 s after the first one ended.
    let fill_start = trace.first_run_us(lane(trace, "fill 1")).unwrap();
    assert_eq!(fill_start, cancelled);
    assert_eq!(
        logs_with(trace, "fill: nothing lost sent=6").len(),
        1,
        "the fill loop loses nothing"
    );
    assert_eq!(finished_at(trace), cancelled + s(0.6));
}
