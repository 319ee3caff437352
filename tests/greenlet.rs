//! Tests for `corolab::greenlet`: switching, values, panics, unwinding on
//! drop, stack alignment and the guard page.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::os::unix::process::ExitStatusExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
use std::rc::Rc;

use corolab::greenlet::{Greenlet, MIN_STACK_SIZE, SwitchError};

/// The parent of the running greenlet (what a child switches to to "yield").
fn parent() -> Greenlet {
    Greenlet::current()
        .parent()
        .expect("called inside a child greenlet")
}

/// Counts how many times it was dropped, to see destructors run.
struct DropCounter(Rc<Cell<u32>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

// Why: a switch must restore every callee-saved register and the stack
// pointer exactly; any slip corrupts state long before 100,000 round trips.
#[test]
fn hundred_thousand_switches_round_trip() {
    const ROUNDS: u64 = 50_000; // two switches per round
    let child = Greenlet::new(|mut n: u64| {
        let parent = parent();
        let mut sum = 0_u64;
        for _ in 0..ROUNDS {
            sum += n;
            n = parent.switch(n + 1);
        }
        sum
    });
    let mut next: u64 = child.switch(0_u64);
    let mut seen = 0_u64;
    for i in 0..ROUNDS - 1 {
        assert_eq!(next, 2 * i + 1, "round {i}");
        seen += 1;
        next = child.switch(next + 1);
    }
    let sum: u64 = child.switch(next + 1);
    assert_eq!(seen, ROUNDS - 1);
    // The child saw 0, 2, 4, ..., 2 * (ROUNDS - 1).
    assert_eq!(sum, ROUNDS * (ROUNDS - 1));
    assert!(child.is_dead());
}

// Why: values must cross in both directions, with different types each way,
// including the start argument and the final return value.
#[test]
fn values_pass_both_ways() {
    let g = Greenlet::new(|start: i32| {
        let parent = parent();
        let reply: i32 = parent.switch(format!("started with {start}"));
        let reply2: Vec<u8> = parent.switch(format!("then got {reply}"));
        reply2.len()
    });
    let a: String = g.switch(7_i32);
    assert_eq!(a, "started with 7");
    let b: String = g.switch(42_i32);
    assert_eq!(b, "then got 42");
    let c: usize = g.switch(vec![1_u8, 2, 3]);
    assert_eq!(c, 3);
    assert!(g.is_dead());
}

// Why: a panic must not cross the assembly frame; it is caught on the
// greenlet's stack and continues in the greenlet that switched in.
#[test]
fn panic_in_greenlet_propagates_to_the_switcher() {
    let g = Greenlet::new(|()| -> () {
        parent().switch::<_, ()>(());
        panic!("boom inside the greenlet");
    });
    let () = g.switch(());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let () = g.switch(());
    }));
    let payload = result.expect_err("the child's panic must reach us");
    let message = payload.downcast_ref::<&str>().copied().unwrap_or("");
    assert_eq!(message, "boom inside the greenlet");
    assert!(g.is_dead());
    // The thread is still fine: new greenlets work after the panic.
    let h = Greenlet::new(|x: u8| x * 2);
    assert_eq!(h.switch::<u8, u8>(21), 42);
}

// Why: dropping a suspended greenlet must run the destructors of all frames
// on its stack (the GreenletExit analogue), without resuming its normal code.
#[test]
fn drop_unwinds_destructors_of_a_suspended_greenlet() {
    let drops = Rc::new(Cell::new(0));
    let resumed = Rc::new(Cell::new(false));

    fn nest(depth: u32, drops: &Rc<Cell<u32>>) {
        let _guard = DropCounter(drops.clone());
        if depth == 0 {
            let () = parent().switch(());
        } else {
            nest(depth - 1, drops);
        }
    }

    let g = {
        let (drops, resumed) = (drops.clone(), resumed.clone());
        Greenlet::new(move |()| {
            nest(4, &drops); // five guards on five frames
            resumed.set(true);
        })
    };
    let () = g.switch(());
    assert_eq!(drops.get(), 0, "nothing is dropped while suspended");
    drop(g);
    assert_eq!(drops.get(), 5, "every frame's guard ran");
    assert!(!resumed.get(), "the code after the switch never ran");
}

// Why: a greenlet dropped while the dropping code is itself unwinding must
// still be unwound (the second unwind runs on the other stack), not abort.
#[test]
fn suspended_greenlet_is_unwound_even_when_dropped_by_a_panic() {
    let drops = Rc::new(Cell::new(0));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let counter = drops.clone();
        let g = Greenlet::new(move |()| {
            let _guard = DropCounter(counter);
            let () = parent().switch(());
        });
        let () = g.switch(());
        panic!("main panics while g is suspended");
    }));
    assert!(result.is_err());
    assert_eq!(drops.get(), 1);
}

// Why: the two-greenlets demo from the greenlet docs: siblings switch to
// each other directly, and a finished greenlet's return goes to its parent.
#[test]
fn siblings_switch_directly_and_a_finished_one_returns_to_its_parent() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let gr2_dropped = Rc::new(Cell::new(0));

    let gr1 = {
        let log = log.clone();
        Greenlet::new(move |gr2: Greenlet| {
            log.borrow_mut().push(12);
            let () = gr2.switch(Greenlet::current());
            log.borrow_mut().push(34);
            "gr1 done"
        })
    };
    let gr2 = {
        let (log, dropped) = (log.clone(), gr2_dropped.clone());
        Greenlet::new(move |gr1: Greenlet| {
            let _guard = DropCounter(dropped);
            log.borrow_mut().push(56);
            let () = gr1.switch(());
            log.borrow_mut().push(78); // never reached: nobody switches back
        })
    };
    let done: &str = gr1.switch(gr2.clone());
    assert_eq!(done, "gr1 done");
    assert_eq!(*log.borrow(), [12, 56, 34]);
    assert!(gr1.is_dead());
    assert!(!gr2.is_dead());
    drop(gr2);
    assert_eq!(gr2_dropped.get(), 1, "dropping gr2 unwound it");
    assert_eq!(*log.borrow(), [12, 56, 34]);
}

// Why: SSE instructions fault on misaligned stack slots; the initial frame
// must give a new greenlet the same 16-byte alignment as a normal call.
#[test]
fn new_greenlet_stack_is_16_byte_aligned() {
    #[repr(align(16))]
    struct Aligned([u8; 16]);

    #[inline(never)]
    fn address_of_aligned_local() -> usize {
        let local = Aligned([1; 16]);
        let address = black_box(&local) as *const Aligned as usize;
        address + usize::from(black_box(&local).0[0] - 1) // reads the field: 0
    }

    let g = Greenlet::new(|()| {
        let first = address_of_aligned_local();
        let () = parent().switch(());
        // After a switch out and back in, alignment must still hold.
        (
            first,
            address_of_aligned_local(),
            format!("{:.3}", black_box(1.5_f64)),
        )
    });
    let () = g.switch(());
    let (a, b, text): (usize, usize, String) = g.switch(());
    assert_eq!(a % 16, 0);
    assert_eq!(b % 16, 0);
    assert_eq!(text, "1.500");
}

// Why: switching to a finished greenlet or receiving the wrong type is a
// programming error that must be a clear typed error, never UB.
#[test]
fn dead_target_and_wrong_reply_type_are_typed_errors() {
    let g = Greenlet::new(|x: u32| x + 1);
    assert!(matches!(
        g.try_switch::<u32, String>(1),
        Err(SwitchError::WrongType { .. })
    ));
    assert!(g.is_dead());
    assert!(matches!(g.try_switch::<u32, u32>(1), Err(SwitchError::Dead)));
    let msg = g.try_switch::<u32, u32>(1).unwrap_err().to_string();
    assert!(msg.contains("finished"), "{msg}");
}

// Why: a greenlet that never ran has no frames; dropping it must drop its
// closure (and what it captured) without running it.
#[test]
fn dropping_a_never_started_greenlet_drops_its_closure_only() {
    let drops = Rc::new(Cell::new(0));
    let ran = Rc::new(Cell::new(false));
    let g = {
        let guard = DropCounter(drops.clone());
        let ran = ran.clone();
        Greenlet::new(move |()| {
            let _keep = &guard;
            ran.set(true);
        })
    };
    assert!(!g.is_started());
    drop(g);
    assert_eq!(drops.get(), 1);
    assert!(!ran.get());
}

// Why: the stack size is configurable, and nonsense sizes are rejected with
// an error instead of producing a stack that overflows at once.
#[test]
fn stack_size_is_configurable_and_validated() {
    let err = Greenlet::with_stack_size(1024, |()| ()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let g = Greenlet::with_stack_size(MIN_STACK_SIZE, |x: u8| x).unwrap();
    assert_eq!(g.switch::<u8, u8>(9), 9);
}

// Why: greenlet bookkeeping is per thread; two threads switching at the
// same time must not see each other's greenlets.
#[test]
fn greenlets_on_two_threads_are_independent() {
    fn count_to(n: u32) -> u32 {
        let g = Greenlet::new(move |()| {
            let parent = parent();
            for i in 0..n {
                let () = parent.switch(i);
            }
            n
        });
        let mut last = 0;
        for _ in 0..=n {
            last = g.switch(());
        }
        last
    }
    let other = std::thread::spawn(|| count_to(5_000));
    assert_eq!(count_to(5_000), 5_000);
    assert_eq!(other.join().unwrap(), 5_000);
}

/// Parses a `/proc/self/maps` line into (start, end, permissions).
fn parse_mapping(line: &str) -> Option<(usize, usize, String)> {
    let mut fields = line.split_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?.to_string();
    Some((
        usize::from_str_radix(start, 16).ok()?,
        usize::from_str_radix(end, 16).ok()?,
        perms,
    ))
}

// Why: the SIGSEGV test alone could pass by luck (unmapped memory below a
// stack also faults); this checks the guard page is really there: the
// mapping right below a greenlet's stack is inaccessible (`---p`).
#[test]
fn greenlet_stack_has_a_prot_none_guard_page_below_it() {
    let g = Greenlet::new(|()| {
        let local = 0_u8;
        black_box(&local) as *const u8 as usize
    });
    let address: usize = g.switch(());
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mappings: Vec<_> = maps.lines().filter_map(parse_mapping).collect();
    let (stack_start, _, perms) = mappings
        .iter()
        .find(|(start, end, _)| (*start..*end).contains(&address))
        .expect("the greenlet's local lies in a mapping")
        .clone();
    assert!(perms.starts_with("rw"), "stack is read-write: {perms}");
    let guard = mappings.iter().find(|(_, end, _)| *end == stack_start);
    let (guard_start, guard_end, guard_perms) = guard.expect("a mapping right below the stack");
    assert_eq!(guard_perms, "---p", "guard page is PROT_NONE");
    assert!(guard_end - guard_start >= 4096);
}

/// Env var that makes this test binary run one of the crash paths below
/// instead of the normal test, when it is re-run as a child process.
const CHILD_ENV: &str = "COROLAB_GREENLET_CHILD";

/// Recurses forever (each frame keeps 256 bytes alive so it is not optimized
/// into a loop).
#[inline(never)]
fn recurse_forever(depth: u64) -> u64 {
    let frame = [depth; 32];
    if black_box(depth) == u64::MAX {
        return 0;
    }
    recurse_forever(black_box(depth + 1)) + black_box(&frame)[7]
}

/// Runs this test binary again with `CHILD_ENV=mode`, running only `test`.
fn run_child(test: &str, mode: &str, backtrace: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .env("RUST_BACKTRACE", backtrace)
        .output()
        .expect("re-run the test binary")
}

// Why: a stack overflow in a greenlet must hit the PROT_NONE guard page and
// stop the process, never silently overwrite other memory, and (issue 16.6)
// not die silently either: std's SIGSEGV handler only knows the *thread's*
// guard page, so before corolab's handler a greenlet overflow was a bare
// SIGSEGV with nothing on stderr. Now the message names the greenlet, its
// stack size and the fix, and the process aborts, as std does for a thread.
#[test]
fn greenlet_stack_overflow_names_the_greenlet_its_stack_size_and_the_fix_then_aborts() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("overflow") {
        let g = Greenlet::with_stack_size(64 * 1024, |()| recurse_forever(0)).unwrap();
        println!("child greenlet: {g:?}");
        let n: u64 = g.switch(());
        println!("unreachable: recursion returned {n}");
        std::process::exit(0);
    }
    let test = "greenlet_stack_overflow_names_the_greenlet_its_stack_size_and_the_fix_then_aborts";
    let out = run_child(test, "overflow", "0");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let id = stdout
        .split("Greenlet { id: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("child printed its greenlet: {stdout}"));
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "child should abort, got {:?}\nstderr: {stderr}",
        out.status
    );
    // The message chapter 9 shows (there with id 0, the first greenlet of a thread).
    let expected = format!(
        "greenlet {id} has overflowed its stack of 65536 bytes\n\
         help: create it with a bigger stack: Greenlet::with_stack_size(bytes, f) \
         (Greenlet::new and green::spawn use 262144 bytes)\n\
         fatal runtime error: greenlet stack overflow, aborting\n"
    );
    assert!(
        stderr.contains(&expected),
        "stderr should say {expected:?}:\n{stderr}"
    );
    assert!(!stdout.contains("unreachable"), "{stdout}");
}

// Why: the greenlet handler sits in front of std's and must hand every other
// fault back: a *thread* that overflows its stack after greenlets installed
// the handler still gets std's own message, not ours and not a bare SIGSEGV.
#[test]
fn thread_stack_overflow_still_reports_through_std_after_greenlets_exist() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("thread_overflow") {
        let g = Greenlet::new(|()| 1_u32);
        let one: u32 = g.switch(());
        assert_eq!(one, 1);
        let t = std::thread::Builder::new()
            .name("deep".into())
            .stack_size(256 * 1024)
            .spawn(|| recurse_forever(0))
            .unwrap();
        println!("unreachable: thread returned {:?}", t.join().is_ok());
        std::process::exit(0);
    }
    let test = "thread_stack_overflow_still_reports_through_std_after_greenlets_exist";
    let out = run_child(test, "thread_overflow", "0");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "std aborts on a thread overflow, got {:?}\nstderr: {stderr}",
        out.status
    );
    assert!(
        stderr.contains("thread 'deep'") && stderr.contains("has overflowed its stack"),
        "std's message:\n{stderr}"
    );
    assert!(!stderr.contains("greenlet"), "not ours:\n{stderr}");
}

// Why: a panic's RUST_BACKTRACE=1 walks the greenlet stack; the unwind info
// of the trampoline must end the walk cleanly instead of reading past the
// stack top and crashing.
#[test]
fn panic_backtrace_inside_greenlet_ends_at_the_trampoline() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("backtrace") {
        let g = Greenlet::new(|()| -> () { panic!("panic for a backtrace") });
        let r = catch_unwind(AssertUnwindSafe(|| g.switch::<(), ()>(())));
        assert!(r.is_err());
        println!("child survived the backtrace");
        return;
    }
    let test = "panic_backtrace_inside_greenlet_ends_at_the_trampoline";
    let out = run_child(test, "backtrace", "full");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed: {:?}\n{stderr}", out.status);
    assert!(stdout.contains("child survived the backtrace"), "{stdout}");
    assert!(
        stderr.contains("greenlet_entry"),
        "backtrace should show greenlet_entry:\n{stderr}"
    );
}

// Why: rounding a huge size up to whole pages used to overflow: a panic in
// debug builds, and in release a stack of zero usable bytes that the first
// switch wrote into the guard page (SIGSEGV from safe code).
#[test]
fn stack_size_that_overflows_page_rounding_is_an_invalid_input_error() {
    for size in [usize::MAX, usize::MAX - 1, usize::MAX - 4096, usize::MAX / 2 + 2] {
        let result = catch_unwind(|| Greenlet::with_stack_size(size, |()| ()).map(|_| ()));
        let err = result
            .unwrap_or_else(|_| panic!("size {size} panicked"))
            .expect_err("no stack of that size can exist");
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::InvalidInput | std::io::ErrorKind::OutOfMemory
            ),
            "size {size}: {err}"
        );
    }
    let err = Greenlet::with_stack_size(usize::MAX, |()| ()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
}

// Why: MIN_STACK_SIZE promises that a greenlet of that size can at least
// panic; with RUST_BACKTRACE set the panic hook symbolizes a backtrace on
// the greenlet's stack, and a too-small minimum made that a segfault.
#[test]
fn min_size_greenlet_survives_a_panic_with_a_full_backtrace() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("min_stack_backtrace") {
        let g = Greenlet::with_stack_size(MIN_STACK_SIZE, |()| -> () {
            panic!("panic on a minimum-size stack")
        })
        .unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| g.switch::<(), ()>(())));
        assert!(r.is_err());
        println!("child survived the backtrace");
        return;
    }
    let test = "min_size_greenlet_survives_a_panic_with_a_full_backtrace";
    for backtrace in ["1", "full"] {
        let out = run_child(test, "min_stack_backtrace", backtrace);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "RUST_BACKTRACE={backtrace}: child failed: {:?}\n{stderr}",
            out.status
        );
        assert!(stdout.contains("child survived the backtrace"), "{stdout}");
    }
}

// Why: a finished child must not keep its parent alive: the parent's stack
// holds the child's handle, so a strong link back would be a reference cycle
// and dropping the suspended parent would never unwind it.
#[test]
fn dropping_a_suspended_greenlet_that_holds_its_finished_child_unwinds_it() {
    let drops = Rc::new(Cell::new(0));
    let counter = drops.clone();
    let g = Greenlet::new(move |()| {
        let _guard = DropCounter(counter);
        let child = Greenlet::new(|()| 7_u32);
        let seven: u32 = child.switch(());
        let () = parent().switch(seven);
        drop(child);
    });
    let seven: u32 = g.switch(());
    assert_eq!(seven, 7);
    drop(g);
    assert_eq!(drops.get(), 1, "the suspended parent was unwound");
}

// Why: a finished greenlet still reports its parent (as in Python), and a
// child whose parent has finished hands its result to the nearest ancestor
// that is still alive.
#[test]
fn finished_greenlet_still_knows_its_parent_and_results_skip_dead_parents() {
    let main = Greenlet::current();
    let middle = Greenlet::new(|()| {
        let grandchild = Greenlet::new(|()| {
            let () = parent().switch(()); // back to `middle`, which then finishes
            "from the grandchild"
        });
        let () = grandchild.switch(());
        grandchild
    });
    let grandchild: Greenlet = middle.switch(());
    assert!(middle.is_dead());
    assert_eq!(grandchild.parent(), Some(middle.clone()));
    assert_eq!(middle.parent(), Some(main));
    // `middle` is dead, so the grandchild's result skips it and comes to us.
    let text: &str = grandchild.switch(());
    assert_eq!(text, "from the grandchild");
}

// Why: the documented live-greenlet limit (issue 16.14): each greenlet is two
// kernel mappings (stack and guard page), so `vm.max_map_count` caps how many
// can exist at once; past it, creating one must be a typed `OutOfMemory`
// error, not a crash. Runs in a child process: while the mappings are used up,
// nothing else in the process could map memory.
#[test]
fn live_greenlets_stop_near_half_of_max_map_count_with_an_out_of_memory_error() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("map_limit") {
        let mut alive = Vec::new();
        let err = loop {
            match Greenlet::with_stack_size(MIN_STACK_SIZE, |()| ()) {
                Ok(g) => alive.push(g),
                Err(e) => break e,
            }
        };
        println!("live greenlets: {} error: {:?}", alive.len(), err.kind());
        return;
    }
    let max_map_count: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .expect("Linux exposes vm.max_map_count")
        .trim()
        .parse()
        .unwrap();
    if max_map_count > 1_000_000 {
        return; // raised so far that the loop would take too long and too much memory
    }
    let out = run_child(
        "live_greenlets_stop_near_half_of_max_map_count_with_an_out_of_memory_error",
        "map_limit",
        "0",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {:?}\n{stdout}", out.status);
    let at = stdout.find("live greenlets: ").expect(&stdout);
    let line = stdout[at..].lines().next().unwrap_or_default();
    assert!(line.ends_with("error: OutOfMemory"), "{line}");
    let count: usize = line["live greenlets: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    println!("{line} (vm.max_map_count = {max_map_count})");
    assert!(
        count <= max_map_count / 2 && count + 2_000 >= max_map_count / 2,
        "{count} greenlets with vm.max_map_count = {max_map_count}"
    );
}
