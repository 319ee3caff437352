# The gdb session of docs/10-debugging.md, runnable as it is:
#   cargo build --example debugger_demo
#   rust-gdb -q -batch -x scripts/debugger-guide.gdb target/debug/examples/debugger_demo
# scripts/check-debugger-guide.sh runs it and checks the output against the guide.
# Each stop prints a line "HIT <where>", then the values the guide explains.
# ANCHOR: session
set pagination off
set confirm off

# One turn of the run loop. At the first turn only the main future is queued: nothing spawned yet.
tbreak corolab::runtime::Runtime::tick
commands
  silent
  printf "HIT Runtime::tick\n"
  print self.executor.ptr.pointer.value.live_tasks.value.value
  print self.executor.ptr.pointer.value.run_queue.value.value.len
  continue
end

# Phase 1: the executor is about to poll a task. Which one, called from where?
tbreak corolab::executor::Executor::poll_task
commands
  silent
  printf "HIT Executor::poll_task\n"
  print header.ptr.pointer.data.id.v.value
  backtrace 6
  continue
end

# Phase 3: the reactor is about to sleep in epoll_wait. For how long?
tbreak corolab::reactor::Reactor::wait_for_io
commands
  silent
  printf "HIT Reactor::wait_for_io\n"
  print timeout
  continue
end

# Phase 4: the events of that wait are about to become wakes.
tbreak corolab::reactor::Reactor::dispatch_io_events
commands
  silent
  printf "HIT Reactor::dispatch_io_events\n"
  print self.stats.value.value
  continue
end

# The reader task's own code: its poll function is hit once per poll of the task.
break debugger_demo::read_one_message::{async_fn#0}
commands
  silent
  printf "HIT read_one_message\n"
  continue
end

run --wait-ms 2000
info breakpoints
# ANCHOR_END: session
