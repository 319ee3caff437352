//! A hidden test of the `greenlet-switch` lab (see labs/hidden-sample/README.md).
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]

use corolab::greenlet::Greenlet;

// Why: switching to the greenlet that is already running is a no-op in Python's greenlet; a
// switch that swaps stacks anyway (or marks the running greenlet Suspended) breaks it.
#[test]
fn switching_to_the_running_greenlet_hands_the_value_straight_back() {
    let main = Greenlet::current();
    let back: u32 = main.switch(7_u32);
    assert_eq!(back, 7);
    let child = Greenlet::new(|x: u32| {
        let me = Greenlet::current();
        let same: u32 = me.switch(x + 1);
        same * 2
    });
    let out: u32 = child.switch(1_u32);
    assert_eq!(out, 4);
    assert!(child.is_dead());
}
