//! The uppercase echo server under load and driven by real clients:
//! Python's `socket` module and `nc` (package netcat-openbsd).

mod util;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use sprout::net::TcpStream;
use sprout::{spawn, spawn_blocking};

/// Makes sure this process may open `needed` descriptors (raises the soft
/// limit up to the hard limit if necessary).
fn ensure_fd_limit(needed: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable `rlimit`.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(rc, 0, "getrlimit failed");
    if lim.rlim_cur >= needed {
        return;
    }
    assert!(
        lim.rlim_max >= needed,
        "this test needs {needed} file descriptors; the hard limit is {}",
        lim.rlim_max
    );
    lim.rlim_cur = needed;
    // SAFETY: `lim` is a valid `rlimit` below the hard limit.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    assert_eq!(rc, 0, "setrlimit failed");
}

#[test]
fn thousand_clients_hundred_messages_each_on_one_hub() {
    const CLIENTS: usize = 1000;
    const MESSAGES: usize = 100;
    ensure_fd_limit(2 * CLIENTS as u64 + 200);
    let server = util::start_upper_echo();
    let addr = server.local_addr().unwrap();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                let mut reply = Vec::new();
                for m in 0..MESSAGES {
                    let msg = format!("client {c} message {m}: hello, green world");
                    stream.write_all(msg.as_bytes()).unwrap();
                    reply.resize(msg.len(), 0);
                    stream.read_exact(&mut reply).unwrap();
                    assert_eq!(
                        reply,
                        msg.to_ascii_uppercase().as_bytes(),
                        "client {c} message {m}"
                    );
                }
                MESSAGES
            })
        })
        .collect();
    let total: usize = sprout::joinall(clients)
        .into_iter()
        .map(|r| r.expect("a client failed"))
        .sum();
    assert_eq!(total, CLIENTS * MESSAGES);
    server.stop(std::time::Duration::from_secs(5));
}

/// Runs a real client program against `addr` (on the thread pool, so the
/// server keeps running on this hub) and returns its stdout.
fn run_client(
    program: &str,
    args: Vec<String>,
    stdin: &'static [u8],
    install_hint: &str,
) -> String {
    let mut cmd = Command::new(program);
    cmd.args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{program}` is not installed: {install_hint}")
        }
        Err(e) => panic!("cannot start `{program}`: {e}"),
    };
    let out = spawn_blocking(move || {
        let mut child = child;
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    })
    .unwrap();
    assert!(
        out.status.success(),
        "`{program}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const PYTHON_CLIENT: &str = r#"
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
with socket.create_connection((host, port), timeout=10) as s:
    for word in [b"hello from python", b"second message"]:
        s.sendall(word)
        got = b""
        while len(got) < len(word):
            chunk = s.recv(4096)
            if not chunk:
                sys.exit("server closed early")
            got += chunk
        print(got.decode())
    s.shutdown(socket.SHUT_WR)
    assert s.recv(1) == b"", "server did not close after our half close"
"#;

fn addr_args(addr: SocketAddr) -> Vec<String> {
    vec![addr.ip().to_string(), addr.port().to_string()]
}

#[test]
fn echo_server_driven_by_python_socket_module() {
    let server = util::start_upper_echo();
    let addr = server.local_addr().unwrap();
    let mut args = vec!["-c".to_owned(), PYTHON_CLIENT.to_owned()];
    args.extend(addr_args(addr));
    let out = run_client(
        "python3",
        args,
        b"",
        "install Python 3 (apt package python3)",
    );
    assert_eq!(out, "HELLO FROM PYTHON\nSECOND MESSAGE\n");
    server.stop(std::time::Duration::from_secs(5));
}

#[test]
fn echo_server_driven_by_nc() {
    let server = util::start_upper_echo();
    let addr = server.local_addr().unwrap();
    // -N: shut down the write side at end of input; -w 10: give up when
    // idle for 10 s instead of hanging.
    let mut args = vec!["-N".to_owned(), "-w".to_owned(), "10".to_owned()];
    args.extend(addr_args(addr));
    let out = run_client(
        "nc",
        args,
        b"hello from nc\nline two\n",
        "install the apt package netcat-openbsd (apt-get install -y netcat-openbsd)",
    );
    assert_eq!(out, "HELLO FROM NC\nLINE TWO\n");
    server.stop(std::time::Duration::from_secs(5));
}
