#!/usr/bin/env bash
# The mutation check: each pitfall test that the course says "catches X" must fail when X is
# put into the code.
#
# For every mutation below: copy the working tree (tracked and new files, no target/) to a
# scratch directory once, replace one distinctive code fragment in one file, run the one test
# that guards it, and demand that the test FAILS; then put the file back. The working tree is
# never touched. A fragment that is no longer in its file is a failure too ("does not apply"):
# the code moved, and this list must follow it, not silently skip it.
#
# Usage: scripts/mutants.sh            # all mutations
#        scripts/mutants.sh fifo ceil  # only mutations whose name contains one of the words
#
# Builds are incremental across mutations: one CARGO_TARGET_DIR (target/mutants, override with
# MUTANTS_TARGET_DIR) serves every run, and only the mutated crate is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TARGET_DIR=${MUTANTS_TARGET_DIR:-$ROOT/target/mutants}
SCRATCH=$(mktemp -d /tmp/corolab-mutants.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

# name | file | fragment as in the code | what replaces it | test target | test name | where the course says so
MUTATIONS=(
"fifo|src/executor/mod.rs|self.run_queue.borrow_mut().pop_front()|self.run_queue.borrow_mut().pop_back()|executor|run_queue_is_fifo|ch3: FIFO order is a promise"
"fairness|src/runtime.rs|\|\| self.polls_since_io.get() >= MAX_POLLS_PER_TICK|\|\| (false \&\& self.polls_since_io.get() >= MAX_POLLS_PER_TICK)|reactor|fairness_a_self_waking_task_does_not_starve_io_or_timers|ch3: I/O at least once per 61 polls"
"dedup|src/executor/waker.rs|if arc_self.scheduled.swap(true, Ordering::AcqRel) {|if arc_self.scheduled.swap(true, Ordering::AcqRel) \&\& false {|executor|wakes_of_a_queued_pending_task_are_merged_into_one_poll|ch3 exercise 2: the scheduled bit merges wakes into one poll"
"poll-until-empty|src/executor/mod.rs|for done in 0..ready_now {|for done in 0..usize::MAX {|reactor|fairness_a_self_waking_task_does_not_starve_io_or_timers|ch3 exercise 3: polling until the queue is empty hangs"
"budget|src/executor/budget.rs|if LEFT.with(Cell::get) == 0 {|if false {|coop_budget|a_timer_and_another_task_get_their_turn_beside_a_channel_self_loop|ch3 exercise 4 and the cooperative budget: a task whose awaits are always ready"
"lost-wakeup|src/executor/waker.rs|self.unpark.unpark();|let _ = \&self.unpark;|executor|lost_wakeup_from_other_thread_just_before_park_is_not_lost|ch3: a remote wake just before epoll_wait is not lost"
"panic|src/executor/mod.rs|catch_unwind(AssertUnwindSafe(\|\| future.as_mut().poll(\&mut cx)))|Ok::<_, Box<dyn std::any::Any + Send>>(future.as_mut().poll(\&mut cx))|executor|panicking_task_is_reported_and_runtime_keeps_running|ch3: a panicking task becomes JoinError::Panic"
"yield|src/executor/spawn.rs|executor.defer_until_after_io(cx.waker())|cx.waker().wake_by_ref()|reactor|yield_now_lets_io_run_before_the_task_is_polled_again|ch3: yield_now lets sockets and timers run first"
"drain|src/reactor/io_source.rs|result => return Poll::Ready(result),|result => { self.clear_readiness(interest); return Poll::Ready(result); }|reactor|edge_triggered_burst_larger_than_buffer_arrives_without_extra_events|ch4: edge-triggered: read until WouldBlock, one event for a burst"
"two-readers|src/reactor/mod.rs|list.push(waker.clone());|*list = vec![waker.clone()];|reactor|two_tasks_reading_one_shared_socket_are_both_served|ch4: one waker list per direction"
"stale-waker|src/reactor/mod.rs|if !list.iter().any(\|w\| w.will_wake(waker)) {|if list.is_empty() {|reactor|stale_waker_sleep_and_socket_moved_between_tasks_wake_the_new_owner|ch4: a socket moved between tasks wakes the new owner"
"generation|src/slab.rs|Slot::Occupied(value) if entry.generation == key.generation => Some(value),|Slot::Occupied(value) => Some(value),|reactor|token_reuse_within_one_event_batch_wakes_nobody_wrong|ch4: tokens carry a generation"
"timer-seq|src/reactor/timers.rs|self.next_seq += 1;|self.next_seq = self.next_seq.wrapping_sub(1);|reactor|timers_fire_in_order_with_equal_deadlines_and_zero_duration|ch5: same deadline fires in the order set"
"ceil|src/reactor/mod.rs|d.as_nanos().div_ceil(1_000_000)|d.as_nanos() / 1_000_000|reactor|poll_timeout_is_rounded_up_to_whole_milliseconds|ch5: the poll timeout is rounded up, never down (exercise 2)"
"sleep-drop|src/time.rs|reactor.remove_timer(key);|let _ = (reactor, key);|reactor|dropping_a_sleep_cancels_its_timer|ch5: dropping a Sleep removes its timer"
"short-read|src/reactor/mod.rs|slot.readiness &= !bits::READABLE;|slot.readiness = 0;|reactor|short_read_keeps_a_hangup_seen_in_the_same_event|ch6: a short read clears only READABLE"
"deregister|src/reactor/io_source.rs|self.reactor.deregister(&mut self.source, self.key);|let _ = (\&self.reactor, \&mut self.source, self.key);|reactor|dropping_a_pending_read_deregisters_its_socket|ch6: a dropped read gives its socket back"
"green-panic|src/green/hub.rs|if std::thread::panicking() {|if false {|green|a_greenlet_switched_to_during_a_panic_does_not_park_and_leak_the_panic|ch9: no greenlet parks while a panic unwinds"
)

# Copy what git knows about (tracked and untracked-but-not-ignored files) from the working tree.
(git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
    | tar --null -T - -cf - | tar -xf - -C "$SCRATCH")

# Literal replacement of every occurrence of $2 by $3 in file $1 (no regex, no escapes).
replace_literal() {
    OLD=$2 NEW=$3 awk '{
        old = ENVIRON["OLD"]; new = ENVIRON["NEW"]; out = ""; line = $0
        while ((i = index(line, old)) > 0) {
            out = out substr(line, 1, i - 1) new
            line = substr(line, i + length(old))
        }
        print out line
    }' "$1" >"$1.mutated" && mv "$1.mutated" "$1"
}

unescape() { # the table writes | as \| (and may write & as \&), so the fields stay separable
    printf '%s' "$1" | sed -e 's/\\&/\&/g' -e 's/\\|/|/g'
}

selected() {
    [ "$#" -eq 1 ] && return 0
    local name=$1 word
    shift
    for word in "$@"; do
        [[ "$name" == *"$word"* ]] && return 0
    done
    return 1
}

# Splits a table row at the `|` that are not written `\|`.
split_row() {
    printf '%s' "$1" | sed 's/\\|/\x01/g' | tr '|' '\n' | sed 's/\x01/\\|/g'
}

failures=0
ran=0
started=$(date +%s)
cd "$SCRATCH"
# Build the test targets once on the unmutated tree, so each mutation only rebuilds what changed.
cargo test --quiet --no-run --test executor --test reactor --test green --test coop_budget >/dev/null 2>&1 || {
    echo "FAIL: the unmutated tree does not build its tests"
    exit 1
}
for row in "${MUTATIONS[@]}"; do
    mapfile -t f < <(split_row "$row")
    name=${f[0]} file=${f[1]} old=$(unescape "${f[2]}") new=$(unescape "${f[3]}")
    target=${f[4]} test=${f[5]} claim=${f[6]}
    selected "$name" "$@" || continue
    ran=$((ran + 1))
    if [ ! -f "$file" ]; then
        echo "FAIL [$name]: $file does not exist (moved? update scripts/mutants.sh)"
        failures=$((failures + 1))
        continue
    fi
    count=$(grep -cF -- "$old" "$file" || true)
    if [ "$count" -eq 0 ]; then
        echo "FAIL [$name]: mutation does not apply: \`$old\` is not in $file (update scripts/mutants.sh)"
        failures=$((failures + 1))
        continue
    fi
    if ! grep -q "fn $test()" "tests/$target.rs"; then
        echo "FAIL [$name]: no test $test in tests/$target.rs"
        failures=$((failures + 1))
        continue
    fi
    cp "$file" "$file.orig"
    replace_literal "$file" "$old" "$new"
    t0=$(date +%s)
    if timeout 300 cargo test --quiet --test "$target" -- --exact "$test" >"$SCRATCH/log" 2>&1; then
        echo "FAIL [$name]: $test still passes with \`$new\` in $file ($claim)"
        failures=$((failures + 1))
    elif grep -q 'could not compile' "$SCRATCH/log"; then
        echo "FAIL [$name]: the mutant does not compile (fix the replacement):"
        grep -E -A5 '^error' "$SCRATCH/log" | head -12 | sed 's/^/    /'
        failures=$((failures + 1))
    else
        echo "ok   [$name]: $test fails on the mutant ($claim) [$(($(date +%s) - t0)) s]"
    fi
    mv "$file.orig" "$file"
done
echo "mutants: $ran run, $failures problem(s), $(($(date +%s) - started)) s in all"
[ "$failures" -eq 0 ]
