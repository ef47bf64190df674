use crate::support::*;

#[test]
fn requests_go_through_in_waves_of_three() {
    let trace = run("semaphore", &[]);
    for i in 1..=20u64 {
        let wave = (i - 1) / 3 + 1; // 1-based wave number
        let done = done_at(&trace, lane(&trace, &format!("request {i}")));
        assert_eq!(done, s(0.5) * wave, "request {i}");
    }
}

#[test]
fn the_last_request_and_main_are_done_at_3_5_s() {
    let trace = run("semaphore", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "request 20")), s(3.5));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(3.5));
    assert_eq!(finished_at(&trace), s(3.5));
    assert_eq!(
        trace.log_time("all done requests=20 permits=3 took=3.5s"),
        Some(s(3.5))
    );
}

#[test]
fn one_request_and_odd_times_log_exactly() {
    let trace = run("semaphore", &["requests=1"]);
    assert_eq!(
        trace.log_time("all done requests=1 permits=3 took=500ms"),
        Some(s(0.5))
    );
    let trace = run("semaphore", &["requests=7", "permits=2", "work_ms=30"]);
    assert_eq!(
        trace.log_time("all done requests=7 permits=2 took=120ms"),
        Some(s(0.12))
    );
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run("semaphore", &[]);
    let last = done_at(&trace, lane(&trace, "request 20"));
    let shown = lanes::render::text::seconds(last);
    assert_eq!(shown_choice("semaphore", &[]), Some(shown.as_str()));
    // Other knobs are measured the same way: 5 permits make 4 waves.
    assert_eq!(
        shown_choice("semaphore", &["permits=5"]),
        None,
        "2.0 s is no choice"
    );
}

#[test]
fn waiting_lanes_say_they_wait_for_a_permit_then_sleep() {
    let trace = run("semaphore", &[]);
    let fourth = lane(&trace, "request 4");
    let waits = trace.waits(fourth);
    // The permit wait is tied to the line that awaits it, found in the
    // lesson's frames (tokio itself only says where the semaphore was made).
    assert_eq!(
        waits[0],
        (
            0,
            "Semaphore::acquire",
            Some(source_line("semaphore", "limit.acquire()"))
        )
    );
    let (t, on, line) = waits[1];
    assert_eq!((t, on), (s(0.5), "Sleep 500ms"));
    let source = lanes::catalog::catalog()
        .unwrap()
        .lesson("semaphore")
        .unwrap()
        .source;
    let line = line.expect("a sleep has a line") as usize;
    assert!(
        source
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("sleep(work)")
    );
    // The first three never wait for a permit.
    assert_eq!(trace.waits(lane(&trace, "request 1"))[0].1, "Sleep 500ms");
}

#[test]
fn at_most_three_hold_a_permit_at_once() {
    let trace = run("semaphore", &[]);
    let grants: Vec<u64> = trace
        .logs()
        .into_iter()
        .filter(|(.., text)| *text == "got a permit")
        .map(|(t, ..)| t)
        .collect();
    assert_eq!(grants.len(), 20);
    for wave in grants.chunks(3) {
        assert!(wave.iter().all(|&t| t == wave[0]));
    }
}

#[test]
fn requests_are_children_of_main() {
    let trace = run("semaphore", &[]);
    let main = lane(&trace, "main");
    assert_eq!(trace.children(Some(main)).len(), 20);
    assert_eq!(trace.parent(main), None);
}

#[test]
fn five_permits_make_four_waves() {
    let trace = run("semaphore", &["permits=5"]);
    assert_eq!(done_at(&trace, lane(&trace, "request 5")), s(0.5));
    assert_eq!(done_at(&trace, lane(&trace, "request 6")), s(1.0));
    assert_eq!(finished_at(&trace), s(2.0));
}

#[test]
fn no_lane_waits_on_unknown() {
    let trace = run("semaphore", &[]);
    assert_no_unknown_waits(&trace);
}

#[test]
fn deterministic() {
    assert_deterministic("semaphore", &[]);
    assert_deterministic("semaphore", &["requests=7", "permits=2", "work_ms=120"]);
}
