//! The thread pool behind `spawn_blocking`: at most `MAX_THREADS` helper threads, shared by
//! every runtime in the process, each leaving after `IDLE_TIMEOUT` without work.
//!
//! A thread per call would be simpler, but a burst of a thousand blocking calls (say, host-name
//! lookups through `net::resolve`) would then start a thousand threads. Here jobs beyond the
//! cap wait in a FIFO queue, as they do in tokio's blocking pool (whose cap is 512).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

/// Most helper threads alive at once.
pub const MAX_THREADS: usize = 64;

/// A helper thread with nothing to do for this long exits.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

#[derive(Default)]
struct Pool {
    state: Mutex<State>,
    work_ready: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::default)
}

/// Queues `job`, wakes an idle helper, and starts another helper (below the cap) while queued
/// jobs outnumber idle helpers: a burst of calls must not line up behind one idle thread.
/// Fails only when no helper exists and the OS refuses to start one; the job is handed back.
pub(crate) fn submit(job: Job) -> Result<(), (Job, std::io::Error)> {
    let shared = pool();
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    state.queue.push_back(job);
    if state.idle > 0 {
        shared.work_ready.notify_one();
    }
    if state.queue.len() <= state.idle || state.threads >= MAX_THREADS {
        return Ok(()); // an idle helper takes it, or a busy one will when it is free
    }
    let started = thread::Builder::new()
        .name("corolab-blocking".into())
        .spawn(|| worker(pool()));
    match started {
        Ok(_) => {
            state.threads += 1;
            Ok(())
        }
        Err(e) if state.threads == 0 => {
            let job = state.queue.pop_back().expect("the job just queued");
            Err((job, e))
        }
        Err(_) => Ok(()), // the running helpers will get to it
    }
}

/// A helper thread: run queued jobs in order; exit after `IDLE_TIMEOUT` with nothing to do.
fn worker(pool: &Pool) {
    let mut state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job(); // never panics: spawn_blocking's job catches the closure's panic
            state = pool.state.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        state.idle += 1;
        let (next, waited) = pool
            .work_ready
            .wait_timeout(state, IDLE_TIMEOUT)
            .unwrap_or_else(|e| e.into_inner());
        state = next;
        state.idle -= 1;
        if waited.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}
