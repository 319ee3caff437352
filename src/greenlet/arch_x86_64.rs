//! The context switch for x86_64, System V ABI (Linux).
//!
//! The System V ABI splits the registers in two groups:
//! - caller-saved (rax, rcx, rdx, rsi, rdi, r8-r11, xmm0-15, ...): a caller
//!   that still needs them after a call saves them itself. The compiler treats
//!   `greenlet_switch` as an ordinary `extern "C"` call, so it already assumes
//!   they are clobbered and we need not touch them.
//! - callee-saved (rbx, rbp, r12-r15, rsp, the MXCSR control bits and the x87
//!   control word): a function must return with them unchanged. Those are the
//!   ones we save on the old stack and restore from the new one.
//!
//! We chose to save MXCSR and the x87 control word too (8 bytes, 4
//! instructions): the ABI lists their control bits as callee-saved, so a
//! greenlet that changes the rounding mode (for example via `fesetround`) keeps
//! it to itself, just like a thread would. New greenlets start with the ABI's
//! default values (MXCSR 0x1F80, control word 0x037F).
//!
//! Saved layout on a suspended greenlet's stack (`saved_sp` points at the
//! bottom line; higher lines are higher addresses):
//!
//! ```text
//!   saved_sp + 56  return address  (into `switch_to`, or `greenlet_start` for a new greenlet)
//!   saved_sp + 48  rbp
//!   saved_sp + 40  rbx
//!   saved_sp + 32  r12
//!   saved_sp + 24  r13
//!   saved_sp + 16  r14
//!   saved_sp +  8  r15
//!   saved_sp +  0  MXCSR (4 bytes), x87 control word (2 bytes), 2 unused bytes
//! ```
//!
//! In gdb: `x/8gx $rsp` right after the `mov [rdi], rsp` shows exactly these
//! eight words; `p/x *(unsigned long *)($rsp + 56)` is where `ret` will go.

use std::arch::naked_asm;

/// The words `greenlet_switch` pushes, lowest address first. A new greenlet's
/// stack starts with one of these, filled in by [`init_stack`], so that the
/// very first switch into it "restores" zeros and "returns" into
/// [`greenlet_start`].
#[repr(C)]
struct SavedRegisters {
    fp_control: u64,
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    rbx: u64,
    rbp: u64,
    return_address: u64,
}

/// MXCSR with all exceptions masked, round to nearest (the ABI default).
const MXCSR_DEFAULT: u64 = 0x1F80;
/// x87 control word: exceptions masked, 64-bit precision, round to nearest.
const X87_CW_DEFAULT: u64 = 0x037F;

/// Saves the callee-saved registers of the running greenlet on its own stack,
/// writes its stack pointer to `*save_sp`, loads `load_sp` into rsp, restores
/// the registers saved there and returns into the greenlet that owns that
/// stack.
///
/// From the caller's point of view this is one function call that returns
/// much later, after some other greenlet switched back.
///
/// # Safety
/// - `save_sp` must be valid for a pointer-sized write.
/// - `load_sp` must be the value some earlier `greenlet_switch` wrote for a
///   greenlet that is suspended (not running, not finished), or the value
///   [`init_stack`] returned for a stack that has never run. Its memory must
///   stay mapped while that greenlet may run.
// export_name gives the symbol a plain name, so `break corolab_greenlet_switch`
// works in gdb (naked functions carry no debug info to find them by path).
#[unsafe(naked)]
#[unsafe(export_name = "corolab_greenlet_switch")]
pub(crate) unsafe extern "C" fn greenlet_switch(save_sp: *mut *mut u8, load_sp: *mut u8) {
    // rdi = save_sp, rsi = load_sp (System V argument registers).
    // The .cfi lines do not produce instructions: they tell debuggers and
    // unwinders where each register was saved, so `bt` works even while
    // stepping through this function one instruction at a time.
    naked_asm!(
        ".cfi_startproc",
        // 1. Push the callee-saved registers onto the current (old) stack.
        "push rbp",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_offset rbp, -16",
        "push rbx",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_offset rbx, -24",
        "push r12",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_offset r12, -32",
        "push r13",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_offset r13, -40",
        "push r14",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_offset r14, -48",
        "push r15",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_offset r15, -56",
        "sub rsp, 8",
        ".cfi_adjust_cfa_offset 8",
        "stmxcsr dword ptr [rsp]",
        "fnstcw word ptr [rsp + 4]",
        // 2. Remember where the old stack ends, then switch stacks. From
        //    here on rsp points into the other greenlet's stack, which holds
        //    the same layout, so the .cfi description above still fits.
        "mov qword ptr [rdi], rsp",
        "mov rsp, rsi",
        // 3. Restore what the other greenlet saved, in reverse order.
        "ldmxcsr dword ptr [rsp]",
        "fldcw word ptr [rsp + 4]",
        "add rsp, 8",
        ".cfi_adjust_cfa_offset -8",
        "pop r15",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore r15",
        "pop r14",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore r14",
        "pop r13",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore r13",
        "pop r12",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore r12",
        "pop rbx",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore rbx",
        "pop rbp",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore rbp",
        // 4. Return to the address on top of the new stack: the point where
        //    that greenlet called greenlet_switch, or greenlet_start.
        "ret",
        ".cfi_endproc",
    )
}

/// The first instruction a new greenlet runs. The first `greenlet_switch`
/// into a fresh stack "returns" here with rsp equal to the stack top (16-byte
/// aligned) and rbp = 0. `call` pushes 8 bytes, so `greenlet_entry` starts
/// with rsp % 16 == 8, exactly as after any normal call.
///
/// `.cfi_undefined rip` says "there is no caller": backtraces (gdb's `bt`, a
/// panic's `RUST_BACKTRACE=1`) stop here instead of reading past the stack
/// top. `greenlet_entry` never returns; `ud2` would trap if it ever did.
#[unsafe(naked)]
#[unsafe(export_name = "corolab_greenlet_start")]
unsafe extern "C" fn greenlet_start() {
    naked_asm!(
        ".cfi_startproc",
        ".cfi_undefined rip",
        "call {entry}",
        "ud2",
        ".cfi_endproc",
        entry = sym super::switch::greenlet_entry,
    )
}

/// Writes the initial [`SavedRegisters`] just below `top` and returns the
/// stack pointer to hand to [`greenlet_switch`] as `load_sp`.
///
/// ```text
///   top -  8  return address = greenlet_start
///   top - 16  rbp = 0   (ends gdb's frame-pointer chain)
///   top - 24  rbx = 0
///    ...      r12..r15 = 0
///   top - 64  MXCSR 0x1F80, x87 control word 0x037F   <- returned sp
/// ```
///
/// # Safety
/// `top` must be 16-byte aligned and the 64 bytes below it must be writable
/// memory that nothing else uses (the top of a fresh [`super::stack::Stack`]).
pub(crate) unsafe fn init_stack(top: *mut u8) -> *mut u8 {
    debug_assert_eq!(top as usize % 16, 0, "stack top must be 16-byte aligned");
    let frame = top.cast::<SavedRegisters>().wrapping_sub(1);
    let start: unsafe extern "C" fn() = greenlet_start;
    // SAFETY: the caller guarantees the 64 bytes below `top` are ours to
    // write; SavedRegisters is 64 bytes with 8-byte alignment and `top` is
    // 16-byte aligned, so `frame` is in bounds and aligned.
    unsafe {
        frame.write(SavedRegisters {
            fp_control: MXCSR_DEFAULT | (X87_CW_DEFAULT << 32),
            r15: 0,
            r14: 0,
            r13: 0,
            r12: 0,
            rbx: 0,
            rbp: 0,
            return_address: start as usize as u64,
        });
    }
    frame.cast()
}

#[cfg(test)]
mod tests {
    //! A register-level test of `greenlet_switch`. Ordinary tests cannot see
    //! a clobbered callee-saved register in a debug build (unoptimized code
    //! keeps its values in memory), so these two helpers put marker values
    //! in every callee-saved register themselves.
    use super::*;
    use crate::greenlet::stack::{MIN_STACK_SIZE, Stack};

    /// Puts markers 0x1001..0x1006 in rbp, rbx, r12..r15 and MXCSR = 0x7F80
    /// (round toward zero), calls `greenlet_switch(save_sp, load_sp)`, and
    /// when switched back returns a bit mask of what did not survive: bits
    /// 0-5 for the registers in that order, bit 6 for MXCSR. Saves and
    /// restores the caller's own registers, as the ABI requires.
    #[unsafe(naked)]
    unsafe extern "C" fn switch_with_marked_registers(save_sp: *mut *mut u8, load_sp: *mut u8) -> u64 {
        naked_asm!(
            "push rbp",
            "push rbx",
            "push r12",
            "push r13",
            "push r14",
            "push r15",
            "sub rsp, 8", // 8 + 48 + 8: rsp is 16-byte aligned for the call
            "stmxcsr dword ptr [rsp]",
            "mov dword ptr [rsp + 4], 0x7F80",
            "ldmxcsr dword ptr [rsp + 4]",
            "mov rbp, 0x1001",
            "mov rbx, 0x1002",
            "mov r12, 0x1003",
            "mov r13, 0x1004",
            "mov r14, 0x1005",
            "mov r15, 0x1006",
            "call {switch}",
            "xor eax, eax",
            "cmp rbp, 0x1001",
            "setne cl",
            "movzx ecx, cl",
            "or eax, ecx",
            "cmp rbx, 0x1002",
            "setne cl",
            "movzx ecx, cl",
            "shl ecx, 1",
            "or eax, ecx",
            "cmp r12, 0x1003",
            "setne cl",
            "movzx ecx, cl",
            "shl ecx, 2",
            "or eax, ecx",
            "cmp r13, 0x1004",
            "setne cl",
            "movzx ecx, cl",
            "shl ecx, 3",
            "or eax, ecx",
            "cmp r14, 0x1005",
            "setne cl",
            "movzx ecx, cl",
            "shl ecx, 4",
            "or eax, ecx",
            "cmp r15, 0x1006",
            "setne cl",
            "movzx ecx, cl",
            "shl ecx, 5",
            "or eax, ecx",
            "stmxcsr dword ptr [rsp + 4]",
            "cmp dword ptr [rsp + 4], 0x7F80",
            "setne cl",
            "movzx ecx, cl",
            "shl ecx, 6",
            "or eax, ecx",
            "ldmxcsr dword ptr [rsp]",
            "add rsp, 8",
            "pop r15",
            "pop r14",
            "pop r13",
            "pop r12",
            "pop rbx",
            "pop rbp",
            "ret",
            switch = sym greenlet_switch,
        )
    }

    /// Runs on a raw stack (entered by `ret` from the switch, rsp = stack
    /// top): r12 = address of the other side's saved sp, r13 = where to save
    /// ours. Overwrites every callee-saved register and MXCSR with other
    /// values, then switches back. Never resumed.
    #[unsafe(naked)]
    unsafe extern "C" fn clobber_then_switch_back() {
        naked_asm!(
            "mov rsi, qword ptr [r12]",
            "mov rdi, r13",
            "mov rbp, 0x2001",
            "mov rbx, 0x2002",
            "mov r12, 0x2003",
            "mov r13, 0x2004",
            "mov r14, 0x2005",
            "mov r15, 0x2006",
            "sub rsp, 16",
            "mov dword ptr [rsp], 0x1F80",
            "ldmxcsr dword ptr [rsp]",
            "add rsp, 16",
            "call {switch}",
            "ud2",
            switch = sym greenlet_switch,
        )
    }

    // Why: the switch must hand each side back exactly its own callee-saved
    // registers and MXCSR, even when the other side changed all of them.
    #[test]
    fn switch_preserves_exactly_the_callee_saved_registers() {
        let stack = Stack::new(MIN_STACK_SIZE).unwrap();
        let mut main_sp: *mut u8 = std::ptr::null_mut();
        let mut other_sp: *mut u8 = std::ptr::null_mut();
        let main_sp_ptr = &raw mut main_sp;
        let other_sp_ptr = &raw mut other_sp;
        let frame = stack.top().cast::<SavedRegisters>().wrapping_sub(1);
        let entry: unsafe extern "C" fn() = clobber_then_switch_back;
        // SAFETY: the 64 bytes below the top of the fresh stack (at least
        // MIN_STACK_SIZE usable bytes) are in bounds, aligned and unused.
        unsafe {
            frame.write(SavedRegisters {
                fp_control: MXCSR_DEFAULT | (X87_CW_DEFAULT << 32),
                r15: 0,
                r14: 0,
                r13: other_sp_ptr as u64,
                r12: main_sp_ptr as u64,
                rbx: 0,
                rbp: 0,
                return_address: entry as usize as u64,
            });
        }
        // SAFETY: `main_sp_ptr` is a live local, valid for writes; `frame`
        // is a complete initial frame on a mapped stack. The other side only
        // reads `main_sp` (after we wrote it) and writes `other_sp`, both
        // locals alive until the harness returns; it never runs again after
        // switching back, so unmapping its stack at the end is fine.
        let changed = unsafe { switch_with_marked_registers(main_sp_ptr, frame.cast()) };
        assert_eq!(changed, 0, "registers not preserved (bit mask): {changed:#b}");
        assert!(!other_sp.is_null(), "the other side really ran and switched back");
    }
}
