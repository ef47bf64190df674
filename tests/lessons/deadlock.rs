//! `deadlock`: two transfers take two account locks in opposite orders;
//! the run stalls at 0.1 s and the cycle is named. One lock order fixes it.

use crate::support::*;
use lanes::trace::{EndReason, LaneNow, Trace};

const ID: &str = "deadlock";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// The lock named `name`, found among what the lanes wait for.
fn lock(trace: &Trace, name: &str) -> lanes::trace::TextId {
    (1..=trace.lanes().len() as u32)
        .filter_map(|l| trace.lock_waited(l, u64::MAX))
        .find(|&l| trace.text(l) == name)
        .unwrap_or_else(|| panic!("no lane waits for {name}"))
}

#[test]
fn both_transfers_wait_for_each_other_and_the_run_stalls_at_0_1_s() {
    let trace = run(ID, &[]);
    assert_eq!(trace.end(), Some((s(0.1), EndReason::Stalled)));
    let alice = lane(&trace, "alice pays bob");
    let bob = lane(&trace, "bob pays alice");
    let second = Some(line_of("let mut second = second.lock().await;"));
    for transfer in [alice, bob] {
        assert_eq!(trace.lane_end(transfer), None);
        match trace.state_at(transfer, s(0.1)) {
            LaneNow::Waiting { on, line, since_us } => {
                assert_eq!((on, line, since_us), ("Mutex::lock", second, s(0.1)));
            }
            other => panic!("{other:?}"),
        }
    }
    let main = lane(&trace, "main");
    assert!(matches!(
        trace.state_at(main, s(0.1)),
        LaneNow::Waiting {
            on: "JoinHandle",
            ..
        }
    ));
}

#[test]
fn each_holds_the_lock_the_other_waits_for() {
    let trace = run(ID, &[]);
    let alice = lane(&trace, "alice pays bob");
    let bob = lane(&trace, "bob pays alice");
    let alices_lock = format!("Mutex at line {}", line_of("let alice: Account"));
    let bobs_lock = format!("Mutex at line {}", line_of("let bob: Account"));
    let waited = |lane| trace.text(trace.lock_waited(lane, s(0.1)).unwrap());
    assert_eq!(waited(alice), bobs_lock);
    assert_eq!(waited(bob), alices_lock);
    let holders = |name: &str| trace.lock_holders(lock(&trace, name), s(0.1));
    assert_eq!(holders(&alices_lock), vec![(alice, 0)]);
    assert_eq!(holders(&bobs_lock), vec![(bob, 0)]);
}

#[test]
fn the_stall_report_names_the_cycle_the_locks_and_the_lines() {
    let trace = run(ID, &[]);
    let (alices, bobs) = (line_of("let alice: Account"), line_of("let bob: Account"));
    let waits = line_of("let mut second = second.lock().await;");
    let report = trace.stall_report().expect("a stalled run says why");
    assert_eq!(
        report,
        format!(
            "no lane can ever be woken: a deadlock. 'alice pays bob' holds Mutex at line \
             {alices} and waits at line {waits} for Mutex at line {bobs}, which 'bob pays \
             alice' holds; 'bob pays alice' holds Mutex at line {bobs} and waits at line \
             {waits} for Mutex at line {alices}, which 'alice pays bob' holds. Meanwhile \
             'main' waits on JoinHandle (line {}).",
            line_of("first.awaiting(\"JoinHandle\")")
        )
    );
    // The headless chart says who holds what each transfer waits for.
    let chart = lanes::render::text::render(&trace);
    assert!(
        chart.contains(&format!(
            "still waiting on Mutex::lock for Mutex at line {bobs}, held by 'bob pays alice'"
        )),
        "{chart}"
    );
}

#[test]
fn the_trace_records_who_acquires_and_releases_each_lock() {
    let trace = run(ID, &["one_order=true"]);
    let jsonl = lanes::render::jsonl::to_string(&trace);
    let alice = lane(&trace, "alice pays bob");
    let bob = lane(&trace, "bob pays alice");
    let alices_lock = format!("Mutex at line {}", line_of("let alice: Account"));
    let bobs_lock = format!("Mutex at line {}", line_of("let bob: Account"));
    for expected in [
        format!(r#"{{"t_us":0,"lane":{alice},"event":"acquired","lock":"{alices_lock}"}}"#),
        format!(
            r#"{{"t_us":0,"lane":{bob},"event":"awaiting","on":"Mutex::lock","line":{},"lock":"{alices_lock}"}}"#,
            line_of("let mut first = first.lock().await;")
        ),
        format!(r#"{{"t_us":100000,"lane":{alice},"event":"acquired","lock":"{bobs_lock}"}}"#),
        format!(r#"{{"t_us":200000,"lane":{alice},"event":"released","lock":"{alices_lock}"}}"#),
        format!(r#"{{"t_us":200000,"lane":{bob},"event":"acquired","lock":"{alices_lock}"}}"#),
        format!(r#"{{"t_us":400000,"lane":{bob},"event":"released","lock":"{bobs_lock}"}}"#),
    ] {
        assert!(jsonl.lines().any(|l| l == expected), "{expected}\n{jsonl}");
    }
}

#[test]
fn one_lock_order_finishes_at_0_4_s() {
    let trace = run(ID, &["one_order=true"]);
    assert_eq!(done_at(&trace, lane(&trace, "alice pays bob")), s(0.2));
    assert_eq!(done_at(&trace, lane(&trace, "bob pays alice")), s(0.4));
    assert_eq!(finished_at(&trace), s(0.4));
    assert_eq!(
        trace.log_time("both transfers done at 400ms alice=90 bob=110"),
        Some(s(0.4))
    );
    assert_eq!(trace.stall_report(), None);
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    assert_eq!(shown_choice(ID, &[]), Some("never"));
    assert_eq!(shown_choice(ID, &["one_order=true"]), Some("0.4 s"));
    // Faster steps deadlock the same way; with one order they end sooner
    // than any choice says.
    assert_eq!(shown_choice(ID, &["step_ms=10"]), Some("never"));
    assert_eq!(shown_choice(ID, &["one_order=true", "step_ms=10"]), None);
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["one_order=true"]] {
        assert_no_unknown_waits(&run(ID, knobs));
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["one_order=true"]);
}
