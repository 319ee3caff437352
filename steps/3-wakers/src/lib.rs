//! Step 3: wakers and a run queue. No more busy loop: a task is polled again only when woken.
//!
//! **Concept.** A `Waker` (唤醒器) is the "call me back" step 2 was missing. Each task gets one,
//! made from an `Arc<TaskWaker>` with std's `Wake` trait; `wake()` puts the task's id on the
//! **run queue** (就绪队列, a FIFO). The executor pops ids and polls those tasks; when the queue
//! is empty it *sleeps* on a condition variable, so no CPU is used while nothing is ready. A
//! helper thread plays the OS: it finishes the "I/O" ([`Event::set`]) and calls the waker the
//! waiting future left behind.
//!
//! Two rules make it correct. **Dedup**: a task has a *scheduled* bit, so N wakes before its
//! next poll queue it once ([`schedule`]); the bit is cleared *before* the poll, so a wake
//! during the poll is kept. **Register, then re-check** ([`poll_wait`]): a future that checks
//! "done?", finds no, and only then stores its waker misses a `set()` that lands in between
//! (the setter finds no waker; nobody ever wakes the task): the lost wakeup, shown by the
//! buggy variant `poll_wait_buggy` in `tests/lost_wakeup.rs`.
//!
//! **Where.** [`Executor::spawn`], [`run`], [`Executor::run_ready_tasks`], [`Executor::poll_task`]; the waker in
//! [`TaskWaker`] and [`schedule`]; the leaf future in [`poll_wait`].
//!
//! **In the debugger.** `break step3_wakers::schedule` stops on every wake: `bt` shows the
//! helper thread's `Event::set` calling it. `break step3_wakers::RunQueue::sleep_until_not_empty`
//! stops where the executor goes to sleep because nothing is ready.
//!
//! **What the real corolab adds here, and where.** The scheduled bit is the task state in
//! `src/executor/task.rs`, set by `TaskHeader::wake_by_ref` (`src/executor/waker.rs`); the run
//! queue and `Executor::poll_task` are in `src/executor/mod.rs`. A wake from another thread
//! also pokes `epoll_wait` awake (`Unpark`, `src/runtime.rs`): step 4 adds that reactor.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, atomic::AtomicBool, atomic::Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use std::{future::Future, pin::Pin, thread, time::Duration, time::Instant};
pub use steps_support as trace;

/// At most this many polls per turn of the loop (corolab's `MAX_POLLS_PER_TICK` is 61 too).
pub const MAX_POLLS_PER_TURN: usize = 61;

thread_local! {
    /// Why the next wake on this thread happens (`task 2`, later `fd 7 readable`).
    static CAUSE: RefCell<String> = RefCell::new("another thread".into());
}

/// Says what the wakes that follow, on this thread, are caused by (for their trace lines).
pub fn set_wake_cause(cause: String) {
    CAUSE.replace(cause);
}

/// The run queue: ids of woken tasks in wake order, shared with every waker.
#[derive(Default)]
pub struct RunQueue {
    ids: Mutex<VecDeque<usize>>,
    not_empty: Condvar,
}

impl RunQueue {
    /// Appends `id` (traced under the lock, so the wake line comes before the poll it causes).
    pub fn push(&self, id: usize) {
        let mut ids = self.ids.lock().unwrap();
        CAUSE.with_borrow(|by| trace::line(format!("    wake task {id} (by {by})")));
        ids.push_back(id);
        self.not_empty.notify_one();
    }

    /// Sleeps (no CPU) until some task is queued.
    pub fn sleep_until_not_empty(&self) {
        let ids = self.ids.lock().unwrap();
        drop(self.not_empty.wait_while(ids, |ids| ids.is_empty()).unwrap());
    }
}

/// What a task's `Waker` points at: the task's id, its scheduled bit, and the run queue.
pub struct TaskWaker {
    id: usize,
    scheduled: AtomicBool,
    queue: Arc<RunQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        schedule(&self);
    }
}

/// Queues the task unless it is queued already. Returns whether it queued it.
pub fn schedule(task: &TaskWaker) -> bool {
    // LAB(waker-dedup) begin: set the scheduled bit; push the id only if the bit was clear
    let was_scheduled = task.scheduled.swap(true, SeqCst);
    if !was_scheduled {
        task.queue.push(task.id);
    }
    !was_scheduled
    // LAB(waker-dedup) end
}

type Task = (Pin<Box<dyn Future<Output = ()>>>, Arc<TaskWaker>);

/// Owns the tasks and polls the woken ones, in wake order.
#[derive(Default)]
pub struct Executor {
    tasks: Vec<Option<Task>>,
    queue: Arc<RunQueue>,
    /// Polls so far.
    pub polls: u64,
}

impl Executor {
    /// Adds a task (ids start at 1) and puts it on the run queue. Returns its id.
    pub fn spawn(&mut self, future: impl Future<Output = ()> + 'static) -> usize {
        let id = self.tasks.len() + 1;
        let waker = TaskWaker { id, scheduled: AtomicBool::new(true), queue: self.queue.clone() };
        trace::line(format!("spawn task {id}"));
        self.queue.ids.lock().unwrap().push_back(id); // queued from the start
        self.tasks.push(Some((Box::pin(future), Arc::new(waker))));
        id
    }

    /// Are some tasks not finished yet?
    pub fn has_tasks(&self) -> bool {
        self.tasks.iter().any(Option::is_some)
    }

    /// Is some task on the run queue?
    pub fn has_ready_tasks(&self) -> bool {
        !self.queue.ids.lock().unwrap().is_empty()
    }

    /// One turn: polls, in FIFO order, the tasks queued *now* (at most `MAX_POLLS_PER_TURN`).
    /// A task woken during the turn waits for the next one. Returns the number of polls.
    pub fn run_ready_tasks(&mut self) -> usize {
        // LAB(fifo-poll-cap) begin: count the queue now (capped); pop and poll_task that many ids
        let now = self.queue.ids.lock().unwrap().len().min(MAX_POLLS_PER_TURN);
        for _ in 0..now {
            let id = self.queue.ids.lock().unwrap().pop_front();
            self.poll_task(id.expect("only this thread pops"));
        }
        now
        // LAB(fifo-poll-cap) end
    }

    /// One poll of task `id`. The scheduled bit is cleared first: a wake during the poll counts.
    pub fn poll_task(&mut self, id: usize) {
        let Some((future, waker)) = self.tasks[id - 1].as_mut() else {
            return; // a late wake for a finished task
        };
        waker.scheduled.store(false, SeqCst);
        self.polls += 1;
        set_wake_cause(format!("task {id}"));
        trace::poll_start(&format!("task {id}"));
        let ready =
            future.as_mut().poll(&mut Context::from_waker(&waker.clone().into())).is_ready();
        trace::poll_end(ready);
        if ready {
            self.tasks[id - 1] = None; // drops the future (and what it owns)
            trace::line(format!("done task {id} (Completed)"));
        }
    }
}

/// A one-shot event another thread sets: this step's stand-in for "the OS says the I/O is done".
#[derive(Default)]
pub struct Event {
    /// Set by [`Event::set`].
    pub done: AtomicBool,
    /// The waker the waiting future left.
    pub waker: Mutex<Option<Waker>>,
}

impl Event {
    /// Marks the event done, then wakes whoever left a waker (from any thread).
    pub fn set(&self) {
        self.done.store(true, SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}

/// The leaf poll, done right. `window` runs after the first check (tests call `set()` there).
pub fn poll_wait(event: &Event, cx: &mut Context<'_>, window: impl FnOnce()) -> Poll<()> {
    // LAB(register-then-recheck) begin: check; store cx.waker() in the event; check again
    if event.done.load(SeqCst) {
        return Poll::Ready(());
    }
    window();
    *event.waker.lock().unwrap() = Some(cx.waker().clone());
    if event.done.load(SeqCst) { Poll::Ready(()) } else { Poll::Pending }
    // LAB(register-then-recheck) end
}

/// The helper thread that plays the OS: sleeps, sets an event, sleeps, sets the next...
pub fn os_thread(script: Vec<(Duration, Arc<Event>)>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for (pause, event) in script {
            thread::sleep(pause);
            event.set();
        }
    })
}

/// Three tasks wait for three events the "OS" sets 30 ms apart, in the order 2, 3, 1.
pub fn run_demo() {
    let events: Vec<Arc<Event>> = (0..3).map(|_| Arc::new(Event::default())).collect();
    let mut executor = Executor::default();
    for (i, event) in events.iter().cloned().enumerate() {
        executor.spawn(async move {
            trace::waits_for("the OS thread".into());
            std::future::poll_fn(|cx| poll_wait(&event, cx, || {})).await;
            trace::say(format!("task {}: the OS says my I/O is done", i + 1));
        });
    }
    let script = [1, 2, 0].iter().map(|&i| (Duration::from_millis(30), events[i].clone()));
    let os = os_thread(script.collect());
    let (wall, cpu) = (Instant::now(), trace::cpu_time());
    run(&mut executor);
    let _ = os.join();
    let (wall, cpu) = (trace::ms(wall.elapsed()), trace::ms(trace::cpu_time() - cpu));
    trace::say(format!("3 tasks, {} polls, wall {wall:.1} ms, CPU {cpu:.1} ms", executor.polls));
}

/// The loop: one turn of ready tasks at a time; sleeps while none is woken.
pub fn run(executor: &mut Executor) {
    loop {
        trace::phase("run_ready_tasks");
        executor.run_ready_tasks();
        if !executor.has_tasks() {
            return;
        }
        executor.queue.sleep_until_not_empty(); // until some waker pushes an id
    }
}
