//! Stacks: overflow is reported by name and aborts; running out of memory
//! mappings makes `Builder::spawn` say so; stack sizes are honoured, pooled
//! by size, and a new default leaves running greenlets' stacks alone.
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
fn a_new_default_size_leaves_running_greenlets_stacks_mapped() {
    let default = sprout::default_stack_size();
    // One greenlet parked on a default-size stack, one never started.
    let parked = sprout::spawn(|| {
        let buf = [1u8; 1000];
        sprout::sleep(std::time::Duration::from_millis(5));
        std::hint::black_box(&buf)
            .iter()
            .map(|&b| u64::from(b))
            .sum::<u64>()
    });
    sprout::yield_now();
    let unstarted = sprout::spawn(|| sprout::current().id());
    sprout::set_default_stack_size(64 * 1024);
    let small = sprout::spawn(|| 7);
    // Before the pool kept every size, the old stacks were unmapped here
    // and the parked greenlet crashed when it woke.
    assert_eq!(parked.join().unwrap(), 1000);
    let id = unstarted.id();
    assert_eq!(unstarted.join().unwrap(), id);
    assert_eq!(small.join().unwrap(), 7);
    sprout::set_default_stack_size(default);
    assert_eq!(sprout::default_stack_size(), default);
}

#[test]
fn stacks_of_other_sizes_are_pooled_like_the_default() {
    let per_stack = sprout::debug::stack_capacity()
        .expect("/proc is readable")
        .mappings_per_stack;
    let before = sprout::debug::stack_capacity().unwrap().mappings_in_use;
    let n = 256;
    let handles: Vec<_> = (0..n)
        .map(|i| {
            Builder::new()
                .stack_size(48 * 1024)
                .spawn(move || {
                    sprout::sleep(std::time::Duration::from_millis(1));
                    i
                })
                .unwrap()
        })
        .collect();
    let during = sprout::debug::stack_capacity().unwrap().mappings_in_use;
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), i);
    }
    if per_stack < 1.0 {
        // In-place guards: a chunk of 32 stacks is one mapping, so 256
        // stacks of a size of their own take about 8, not 256.
        assert!(during - before <= n / 32 + 4, "{before} -> {during}");
    } else {
        assert!(during - before <= 2 * n + 4, "{before} -> {during}");
    }
    // Spawned again, they reuse the same slots: no new mappings.
    for _ in 0..3 {
        let again: Vec<_> = (0..n)
            .map(|_| Builder::new().stack_size(48 * 1024).spawn(|| ()).unwrap())
            .collect();
        assert!(sprout::joinall(again).iter().all(Result::is_ok));
    }
    let after = sprout::debug::stack_capacity().unwrap().mappings_in_use;
    assert!(after <= during, "{during} -> {after}");
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
