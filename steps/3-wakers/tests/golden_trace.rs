//! The golden trace: `cargo run -p step3-wakers -- --trace`, line by line (this file has one
//! test because the capture is per process).

// Why: the trace uses corolab's words, and shows wake -> poll in wake order, no busy loop.
#[test]
fn golden_trace_of_the_demo() {
    // On a thread of its own, bounded: if a wake were lost the executor would sleep forever.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(step3_wakers::trace::capture(true, step3_wakers::run_demo)));
    let lines =
        rx.recv_timeout(std::time::Duration::from_secs(5)).expect("the demo hung: a wake was lost");
    let expected = "\
spawn task 1
spawn task 2
spawn task 3
tick 1: run_ready_tasks
  poll task 1
    `-> Pending: waits for the OS thread
  poll task 2
    `-> Pending: waits for the OS thread
  poll task 3
    `-> Pending: waits for the OS thread
    wake task 2 (by another thread)
tick 2: run_ready_tasks
  poll task 2
task 2: the OS says my I/O is done
    `-> Ready
done task 2 (Completed)
    wake task 3 (by another thread)
tick 3: run_ready_tasks
  poll task 3
task 3: the OS says my I/O is done
    `-> Ready
done task 3 (Completed)
    wake task 1 (by another thread)
tick 4: run_ready_tasks
  poll task 1
task 1: the OS says my I/O is done
    `-> Ready
done task 1 (Completed)";
    let (last, rest) = lines.split_last().expect("some output");
    assert_eq!(rest.join("\n"), expected);
    assert!(last.starts_with("3 tasks, 6 polls, wall "), "{last}");
}
