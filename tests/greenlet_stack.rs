//! Stacks: overflow is reported by name and aborts; running out of memory
//! mappings makes `Builder::spawn` say so; stack sizes are honoured.
//!
//! The fatal cases run in a child process: this test binary re-executed
//! with one test selected and an environment variable telling it to do the
//! dangerous part.

mod util;

use std::os::unix::process::ExitStatusExt;

use sprout::Builder;

const CHILD: &str = "SPROUT_TEST_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[inline(never)]
#[allow(
    unconditional_recursion,
    reason = "it recurses until the stack overflows, on purpose"
)]
fn recurse(depth: u64, buf: &mut [u8; 512]) -> u64 {
    let mut local = [0u8; 512];
    local[(depth % 512) as usize] = buf[(depth % 512) as usize].wrapping_add(1);
    std::hint::black_box(&mut local);
    1 + recurse(depth + 1, &mut local)
}

#[test]
fn stack_overflow_prints_the_greenlet_and_aborts() {
    if in_child() {
        let h = Builder::new()
            .name("deep-recursion".into())
            .stack_size(64 * 1024)
            .spawn(|| recurse(0, &mut [0u8; 512]))
            .unwrap();
        let _ = h.join();
        unreachable!("the overflow must abort the process");
    }
    let (status, stderr) =
        util::run_in_child("stack_overflow_prints_the_greenlet_and_aborts", CHILD);
    assert_eq!(
        status.signal(),
        Some(libc::SIGABRT),
        "status {status:?}, stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(
            "sprout: greenlet 'deep-recursion' (id 2) overflowed its stack of 65536 bytes"
        ),
        "stderr:\n{stderr}"
    );
    assert!(stderr.contains("Builder::stack_size"), "stderr:\n{stderr}");
}

#[test]
fn other_segfaults_are_not_blamed_on_greenlets() {
    if in_child() {
        let h = sprout::spawn(|| {
            // SAFETY: deliberately faults on a null write to check the signal
            // handler passes non-guard-page faults on to the default action.
            unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        });
        let _ = h.join();
        unreachable!("the fault must kill the process");
    }
    let (status, stderr) = util::run_in_child("other_segfaults_are_not_blamed_on_greenlets", CHILD);
    assert_eq!(
        status.signal(),
        Some(libc::SIGSEGV),
        "status {status:?}, stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("overflowed its stack"),
        "stderr:\n{stderr}"
    );
}

#[test]
fn main_thread_overflow_is_still_reported_by_rust() {
    if in_child() {
        // Not a greenlet: Rust's own handler must still see its guard page.
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| {
                let _ = sprout::spawn(|| ()).join();
                recurse(0, &mut [0u8; 512])
            })
            .unwrap()
            .join()
            .unwrap();
        unreachable!();
    }
    let (status, stderr) =
        util::run_in_child("main_thread_overflow_is_still_reported_by_rust", CHILD);
    assert!(
        status.signal() == Some(libc::SIGABRT) || status.signal() == Some(libc::SIGSEGV),
        "{status:?}"
    );
    assert!(
        stderr.contains("has overflowed its stack"),
        "stderr:\n{stderr}"
    );
    assert!(!stderr.contains("sprout: greenlet"), "stderr:\n{stderr}");
}

#[test]
fn exhausted_memory_mappings_are_reported_by_spawn() {
    if in_child() {
        // Create the hub first, then use up every mapping the kernel allows.
        sprout::spawn(|| ()).join().unwrap();
        let page = 4096;
        let mut held = 0usize;
        loop {
            // SAFETY: fresh anonymous mapping; leaked on purpose.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    2 * page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                break;
            }
            // Splitting each mapping in two keeps the kernel from merging
            // neighbours, so each loop costs two mappings.
            // SAFETY: the first page of the mapping we just made.
            if unsafe { libc::mprotect(p, page, libc::PROT_NONE) } != 0 {
                break;
            }
            held += 1;
            assert!(held < 1_000_000, "mappings never ran out");
        }
        let err = (0..1000)
            .find_map(|_| Builder::new().stack_size(1 << 20).spawn(|| ()).err())
            .expect("spawn must fail once mappings are exhausted");
        let msg = err.to_string();
        assert_eq!(err.kind(), std::io::ErrorKind::OutOfMemory, "{msg}");
        assert!(msg.contains("vm.max_map_count"), "{msg}");
        assert!(msg.contains("sysctl -w vm.max_map_count="), "{msg}");
        eprintln!("CHILD-OK: {msg}");
        return;
    }
    // With guard pages installed in place (Linux 6.13+) a new stack may need
    // no new mapping at all (it merges with its neighbour), so the limit
    // cannot bite; force the two-mappings-per-stack `mprotect` guards of
    // older kernels, where it does.
    let (status, stderr) = util::run_in_child_with(
        "exhausted_memory_mappings_are_reported_by_spawn",
        CHILD,
        &[("SPROUT_GUARD_PAGES", "mprotect")],
    );
    assert!(status.success(), "status {status:?}, stderr:\n{stderr}");
    assert!(stderr.contains("CHILD-OK"), "stderr:\n{stderr}");
}

#[test]
fn stack_sizes_are_honoured() {
    // A greenlet can use most of a large stack.
    let h = Builder::new()
        .stack_size(4 << 20)
        .spawn(|| {
            let big = [7u8; 2 << 20];
            std::hint::black_box(&big)
                .iter()
                .map(|&b| u64::from(b))
                .sum::<u64>()
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), 7 * (2 << 20));
    let default = sprout::default_stack_size();
    assert!(default >= 64 * 1024);
    sprout::set_default_stack_size(128 * 1024);
    assert_eq!(sprout::default_stack_size(), 128 * 1024);
    sprout::set_default_stack_size(default);
}

#[test]
fn stack_capacity_reports_the_mapping_budget() {
    let c = sprout::debug::stack_capacity().expect("/proc is readable");
    assert!(c.max_map_count > 0);
    assert!(c.mappings_in_use > 0 && c.mappings_in_use < c.max_map_count);
    // In-place guards (Linux 6.13+): 1/32 mapping per stack; mprotect: 2.
    assert!(
        c.mappings_per_stack == 2.0 || c.mappings_per_stack < 0.1,
        "{c}"
    );
    assert!(c.more_greenlets > 1000, "{c}");
    assert!(c.to_string().contains("vm.max_map_count is"));
}
