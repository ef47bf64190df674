//! `queue`: 2 producers × 5 items, one put every 0.1 s; 3 consumers, 0.2 s
//! an item; a bounded mpsc channel of 10 that closes when the senders drop.

use crate::support::*;

fn line_of(needle: &str) -> u32 {
    source_line("queue", needle)
}

#[test]
fn all_ten_items_consumed_the_last_at_0_8_s() {
    let trace = run("queue", &[]);
    let done = logs_with(&trace, " done");
    assert_eq!(done.len(), 10, "{done:?}");
    assert_eq!(
        done.last().unwrap(),
        &(s(0.8), "consumer 1", "item 10 done")
    );
    assert_eq!(
        trace.log_time("every consumer stopped consumed=10 took=800ms"),
        Some(s(0.8))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.8));
    assert_eq!(finished_at(&trace), s(0.8));
}

#[test]
fn producers_put_two_items_every_0_1_s_and_finish_at_0_4_s() {
    let trace = run("queue", &[]);
    let puts: Vec<u64> = logs_with(&trace, "put item")
        .iter()
        .map(|(t, ..)| *t)
        .collect();
    let expected: Vec<u64> = [0.0, 0.0, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4]
        .map(s)
        .to_vec();
    assert_eq!(puts, expected);
    for p in ["producer 1", "producer 2"] {
        assert_eq!(done_at(&trace, lane(&trace, p)), s(0.4), "{p}");
        let waits = trace.waits(lane(&trace, p));
        assert!(
            waits.iter().all(|(_, on, _)| *on == "Interval::tick"),
            "{p}: {waits:?}"
        );
    }
}

#[test]
fn consumers_stop_when_the_channel_is_closed_and_empty() {
    let trace = run("queue", &[]);
    for (name, at) in [
        ("consumer 2", 0.6),
        ("consumer 3", 0.7),
        ("consumer 1", 0.8),
    ] {
        let consumer = lane(&trace, name);
        assert_eq!(done_at(&trace, consumer), s(at), "{name}");
        let stops = logs_with(&trace, "queue closed and empty");
        assert!(
            stops.contains(&(s(at), name, "queue closed and empty: stopping")),
            "{stops:?}"
        );
    }
}

#[test]
fn consumers_wait_on_mpsc_recv_and_sleep_while_working() {
    let trace = run("queue", &[]);
    let recv = line_of(".awaiting(\"mpsc recv\")");
    let work = line_of("sleep(work)");
    let consumer_3 = lane(&trace, "consumer 3");
    // Nothing is queued for the third consumer at first: it waits on the
    // channel until the second puts at 0.1 s.
    let waits = trace.waits(consumer_3);
    assert_eq!(waits[0], (0, "mpsc recv", Some(recv)));
    assert_eq!(waits[1], (s(0.1), "Sleep 200ms", Some(work)));
    for name in ["consumer 1", "consumer 2", "consumer 3"] {
        let waits = trace.waits(lane(&trace, name));
        assert!(
            waits
                .iter()
                .any(|w| w.1 == "Sleep 200ms" && w.2 == Some(work)),
            "{name}: {waits:?}"
        );
    }
}

#[test]
fn the_queue_never_fills_so_no_send_waits() {
    let trace = run("queue", &[]);
    for l in 1..=trace.lanes().len() as u32 {
        let waits = trace.waits(l);
        assert!(
            !waits.iter().any(|(_, on, _)| *on == "mpsc send"),
            "{waits:?}"
        );
    }
}

#[test]
fn no_lane_ever_waits_on_unknown() {
    let trace = run("queue", &[]);
    for l in 1..=trace.lanes().len() as u32 {
        let waits = trace.waits(l);
        assert!(
            !waits.iter().any(|(_, on, _)| *on == "unknown"),
            "{}: {waits:?}",
            trace.lane_name(l)
        );
    }
}

#[test]
fn every_producer_and_consumer_is_a_child_of_main() {
    let trace = run("queue", &[]);
    let main = lane(&trace, "main");
    let names = child_names(&trace, main);
    assert_eq!(
        names,
        [
            "producer 1",
            "producer 2",
            "consumer 1",
            "consumer 2",
            "consumer 3"
        ]
    );
}

#[test]
fn predict_answer_is_what_the_run_shows() {
    assert_eq!(shown_choice("queue", &[]), Some("0.8 s"));
    let trace = run("queue", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.8));
}

#[test]
fn one_consumer_takes_2_0_s() {
    let trace = run("queue", &["consumers=1"]);
    assert_eq!(done_at(&trace, lane(&trace, "consumer 1")), s(2.0));
    assert_eq!(
        trace.log_time("every consumer stopped consumed=10 took=2s"),
        Some(s(2.0))
    );
}

#[test]
fn a_full_queue_makes_producers_wait_on_mpsc_send() {
    let trace = run("queue", &["capacity=1", "consumers=1"]);
    let send = line_of(".awaiting(\"mpsc send\")");
    for p in ["producer 1", "producer 2"] {
        let waits = trace.waits(lane(&trace, p));
        assert!(
            waits
                .iter()
                .any(|w| w.1 == "mpsc send" && w.2 == Some(send)),
            "{p}: {waits:?}"
        );
    }
    // One consumer still works 10 × 0.2 s; the producers are held back.
    assert_eq!(done_at(&trace, lane(&trace, "consumer 1")), s(2.0));
    assert!(done_at(&trace, lane(&trace, "producer 2")) > s(0.4));
}

#[test]
fn knob_values_change_the_run() {
    let trace = run("queue", &["producers=3", "items=2"]);
    assert_eq!(logs_with(&trace, " done").len(), 6);
    assert_eq!(
        trace.log_time("every consumer stopped consumed=6 took="),
        Some(done_at(&trace, lane(&trace, "main")))
    );
}

#[test]
fn one_item_and_odd_times_log_exactly() {
    let trace = run("queue", &["producers=1", "items=1", "consumers=1"]);
    assert_eq!(
        trace.log_time("every consumer stopped consumed=1 took=200ms"),
        Some(s(0.2))
    );
    let trace = run("queue", &["work_ms=15"]);
    assert_eq!(
        trace.log_time("every consumer stopped consumed=10 took=415ms"),
        Some(s(0.415))
    );
}

#[test]
fn deterministic() {
    assert_deterministic("queue", &[]);
    assert_deterministic("queue", &["capacity=1", "consumers=1"]);
}
