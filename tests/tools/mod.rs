//! Helpers for the tests that drive real external programs (curl,
//! openssl, python3): a missing program fails the test with a clear
//! message instead of skipping it.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::process::{Command, Output, Stdio};

/// Panics with an install hint unless `program` runs (`program args`).
pub(crate) fn require(program: &str, args: &[&str], package: &str) {
    let ok = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "this test needs `{program}` on PATH: install the `{package}` package \
         (apt-get install {package})"
    );
}

/// Runs `cmd` to completion on the thread pool, so only the calling
/// greenlet waits (a server on the same hub keeps serving), and returns
/// its output.
pub(crate) fn output(mut cmd: Command) -> Output {
    let what = format!("{cmd:?}");
    sprout::spawn_blocking(move || cmd.output())
        .expect("the thread pool job does not panic")
        .unwrap_or_else(|e| panic!("running {what}: {e}"))
}

/// Like [`output`], with `input` written to the program's stdin.
pub(crate) fn output_with_input(mut cmd: Command, input: Vec<u8>) -> Output {
    let what = format!("{cmd:?}");
    sprout::spawn_blocking(move || {
        use std::io::Write;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.stdin.take().expect("piped stdin").write_all(&input)?;
        child.wait_with_output()
    })
    .expect("the thread pool job does not panic")
    .unwrap_or_else(|e| panic!("running {what}: {e}"))
}
