//! The context switch for aarch64, AAPCS64 (Linux).
//!
//! AAPCS64 callee-saved registers: x19-x28, the frame pointer x29, the link
//! register x30 (it holds our return address: `bl` writes it, `ret` jumps to
//! it), sp, and the low 64 bits of v8-v15 (named d8-d15). We also save FPCR
//! (rounding mode and similar control bits), for the same reason the x86_64
//! switch saves MXCSR: they are control state a function must not change
//! behind its caller's back. x18 is the platform register and is left alone.
//!
//! Saved layout on a suspended greenlet's stack (176 bytes, sp stays 16-byte
//! aligned as AAPCS64 requires at all times):
//!
//! ```text
//!   saved_sp + 160  FPCR, then 8 unused bytes
//!   saved_sp +  96  d8 .. d15
//!   saved_sp +  88  x30 (lr: where `ret` goes, inside `switch_to` or `greenlet_start`)
//!   saved_sp +  80  x29 (fp)
//!   saved_sp +   0  x19 .. x28
//! ```
//!
//! In gdb: `x/22gx $sp` after the `str x9, [x0]` shows the saved block.

use std::arch::naked_asm;

/// The block `greenlet_switch` stores, lowest address first.
#[repr(C)]
struct SavedRegisters {
    x19_to_x28: [u64; 10],
    x29_fp: u64,
    x30_lr: u64,
    d8_to_d15: [u64; 8],
    fpcr: u64,
    unused: u64,
}

/// Saves the callee-saved registers of the running greenlet on its own stack,
/// writes its stack pointer to `*save_sp`, loads `load_sp` into sp, restores
/// the registers saved there and returns (through x30) into the greenlet that
/// owns that stack.
///
/// # Safety
/// - `save_sp` must be valid for a pointer-sized write.
/// - `load_sp` must be the value some earlier `greenlet_switch` wrote for a
///   suspended greenlet, or the value [`init_stack`] returned for a stack that
///   has never run. Its memory must stay mapped while that greenlet may run.
// export_name gives the symbol a plain name, so `break corolab_greenlet_switch`
// works in gdb (naked functions carry no debug info to find them by path).
#[unsafe(naked)]
#[unsafe(export_name = "corolab_greenlet_switch")]
pub(crate) unsafe extern "C" fn greenlet_switch(save_sp: *mut *mut u8, load_sp: *mut u8) {
    // x0 = save_sp, x1 = load_sp (AAPCS64 argument registers). x9 is a
    // caller-saved scratch register, free to use.
    naked_asm!(
        ".cfi_startproc",
        // 1. Store the callee-saved registers on the current (old) stack.
        "sub sp, sp, #176",
        ".cfi_def_cfa_offset 176",
        "stp x19, x20, [sp, #0]",
        "stp x21, x22, [sp, #16]",
        "stp x23, x24, [sp, #32]",
        "stp x25, x26, [sp, #48]",
        "stp x27, x28, [sp, #64]",
        "stp x29, x30, [sp, #80]",
        "stp d8, d9, [sp, #96]",
        "stp d10, d11, [sp, #112]",
        "stp d12, d13, [sp, #128]",
        "stp d14, d15, [sp, #144]",
        "mrs x9, fpcr",
        "str x9, [sp, #160]",
        ".cfi_offset x19, -176",
        ".cfi_offset x20, -168",
        ".cfi_offset x21, -160",
        ".cfi_offset x22, -152",
        ".cfi_offset x23, -144",
        ".cfi_offset x24, -136",
        ".cfi_offset x25, -128",
        ".cfi_offset x26, -120",
        ".cfi_offset x27, -112",
        ".cfi_offset x28, -104",
        ".cfi_offset x29, -96",
        ".cfi_offset x30, -88",
        ".cfi_offset d8, -80",
        ".cfi_offset d9, -72",
        ".cfi_offset d10, -64",
        ".cfi_offset d11, -56",
        ".cfi_offset d12, -48",
        ".cfi_offset d13, -40",
        ".cfi_offset d14, -32",
        ".cfi_offset d15, -24",
        // 2. Remember where the old stack ends; switch to the new one.
        "mov x9, sp",
        "str x9, [x0]",
        "mov sp, x1",
        // 3. Restore what the other greenlet stored, same layout.
        "ldr x9, [sp, #160]",
        "msr fpcr, x9",
        "ldp d14, d15, [sp, #144]",
        "ldp d12, d13, [sp, #128]",
        "ldp d10, d11, [sp, #112]",
        "ldp d8, d9, [sp, #96]",
        "ldp x29, x30, [sp, #80]",
        "ldp x27, x28, [sp, #64]",
        "ldp x25, x26, [sp, #48]",
        "ldp x23, x24, [sp, #32]",
        "ldp x21, x22, [sp, #16]",
        "ldp x19, x20, [sp, #0]",
        "add sp, sp, #176",
        ".cfi_def_cfa_offset 0",
        // 4. Jump to the restored x30.
        "ret",
        ".cfi_endproc",
    )
}

/// The first instruction a new greenlet runs: the first switch into a fresh
/// stack "returns" here with sp = stack top (16-byte aligned) and x29 = 0.
/// `.cfi_undefined x30` marks the end of the stack for backtraces.
/// `greenlet_entry` never returns; `brk` would trap if it ever did.
#[unsafe(naked)]
#[unsafe(export_name = "corolab_greenlet_start")]
unsafe extern "C" fn greenlet_start() {
    naked_asm!(
        ".cfi_startproc",
        ".cfi_undefined x30",
        "bl {entry}",
        "brk #1",
        ".cfi_endproc",
        entry = sym super::switch::greenlet_entry,
    )
}

/// Writes the initial [`SavedRegisters`] just below `top` and returns the
/// stack pointer to hand to [`greenlet_switch`] as `load_sp`: all registers
/// zero, FPCR 0 (the Linux default), x30 = `greenlet_start`.
///
/// # Safety
/// `top` must be 16-byte aligned and the 176 bytes below it must be writable
/// memory that nothing else uses (the top of a fresh [`super::stack::Stack`]).
pub(crate) unsafe fn init_stack(top: *mut u8) -> *mut u8 {
    debug_assert_eq!(top as usize % 16, 0, "stack top must be 16-byte aligned");
    let frame = top.cast::<SavedRegisters>().wrapping_sub(1);
    let start: unsafe extern "C" fn() = greenlet_start;
    // SAFETY: the caller guarantees the 176 bytes below `top` are ours to
    // write; 176 is a multiple of 16 and `top` is 16-byte aligned, so `frame`
    // is in bounds and aligned, and so is the returned sp.
    unsafe {
        frame.write(SavedRegisters {
            x19_to_x28: [0; 10],
            x29_fp: 0,
            x30_lr: start as usize as u64,
            d8_to_d15: [0; 8],
            fpcr: 0,
            unused: 0,
        });
    }
    frame.cast()
}
