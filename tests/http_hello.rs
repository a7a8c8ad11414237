//! `examples/http_hello.rs`, served in-process (the example's module is
//! compiled into this test) and checked with curl, Python's http.client
//! and raw sockets: keep-alive, pipelining, 400, 431, slow heads.

mod tools;

#[path = "../examples/http_hello.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod http_hello;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use http_hello::Limits;
use sprout::net::{StreamServer, TcpStream};

fn server(limits: Limits) -> (StreamServer, SocketAddr) {
    let server = http_hello::start("127.0.0.1:0".parse().unwrap(), limits).unwrap();
    let addr = server.local_addr().unwrap();
    (server, addr)
}

/// Sends `request` on a new connection and reads until the server closes.
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.write_all(request).unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).unwrap();
    String::from_utf8(reply).unwrap()
}

fn statuses(replies: &str) -> Vec<&str> {
    replies
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &replies[i + 9..i + 12])
        .collect()
}

#[test]
fn curl_reuses_the_connection() {
    tools::require("curl", &["--version"], "curl");
    let (server, addr) = server(Limits::default());
    let mut cmd = Command::new("curl");
    cmd.args(["--verbose", "--silent", "--show-error", "--max-time", "20"])
        .arg(format!("http://{addr}/one"))
        .arg(format!("http://{addr}/two"))
        .arg(format!("http://{addr}/three"));
    let out = tools::output(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "curl failed: {stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Hello, World!".repeat(3)
    );
    assert_eq!(
        stderr.matches("Re-using existing connection").count(),
        2,
        "curl opened more than one connection: {stderr}"
    );
    server.stop(Duration::from_secs(1));
}

#[test]
fn python_http_client_keeps_the_connection_alive() {
    tools::require("python3", &["--version"], "python3");
    let (server, addr) = server(Limits::default());
    let script = r#"
import http.client, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=20)
socks = set()
for path in ["/a", "/b", "/c", "/d"]:
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200, resp.status
    assert body == b"Hello, World!", body
    assert resp.getheader("Connection") == "keep-alive"
    socks.add(conn.sock.getsockname())
conn.request("POST", "/form", body=b"x" * 10000)
resp = conn.getresponse()
assert resp.status == 200 and resp.read() == b"Hello, World!"
socks.add(conn.sock.getsockname())
print(len(socks))
"#;
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        script,
        &addr.ip().to_string(),
        &addr.port().to_string(),
    ]);
    let out = tools::output(cmd);
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
    server.stop(Duration::from_secs(1));
}

#[test]
fn curl_gets_431_for_a_huge_header() {
    tools::require("curl", &["--version"], "curl");
    let (server, addr) = server(Limits::default());
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--output", "/dev/null", "--max-time", "20"])
        .args(["--write-out", "%{http_code}"])
        .arg("--header")
        .arg(format!("X-Big: {}", "a".repeat(10_000)))
        .arg(format!("http://{addr}/"));
    let out = tools::output(cmd);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "431");
    server.stop(Duration::from_secs(1));
}

#[test]
fn too_many_headers_get_431_and_close() {
    let (server, addr) = server(Limits::default());
    let mut request = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for i in 0..http_hello::MAX_HEADERS + 1 {
        request.push_str(&format!("X-{i}: y\r\n"));
    }
    request.push_str("\r\n");
    let reply = exchange(addr, request.as_bytes());
    assert_eq!(statuses(&reply), ["431"], "{reply}");
    assert!(reply.contains("Connection: close"));
    server.stop(Duration::from_secs(1));
}

#[test]
fn head_over_the_limit_gets_431_even_without_its_end() {
    let limits = Limits {
        max_head_bytes: 1024,
        ..Limits::default()
    };
    let (server, addr) = server(limits);
    // No blank line ever comes: the server must not wait for it.
    let request = format!("GET / HTTP/1.1\r\nX-Big: {}", "a".repeat(5000));
    let reply = exchange(addr, request.as_bytes());
    assert_eq!(statuses(&reply), ["431"], "{reply}");
    server.stop(Duration::from_secs(1));
}

#[test]
fn malformed_requests_get_400_and_close() {
    let (server, addr) = server(Limits::default());
    for bad in [
        &b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x00\x01\x02 garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
    ] {
        let reply = exchange(addr, bad);
        assert_eq!(statuses(&reply), ["400"], "{reply}");
        assert!(reply.ends_with("bad request\n"), "{reply}");
    }
    server.stop(Duration::from_secs(1));
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (server, addr) = server(Limits::default());
    let reply = exchange(
        addr,
        b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
          GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(statuses(&reply), ["200", "200", "200"], "{reply}");
    assert_eq!(reply.matches("Hello, World!").count(), 3);
    assert!(reply.ends_with("Connection: close\r\n\r\nHello, World!"));
    server.stop(Duration::from_secs(1));
}

#[test]
fn http_1_0_closes_unless_asked_to_keep_alive() {
    let (server, addr) = server(Limits::default());
    let reply = exchange(addr, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(statuses(&reply), ["200"]);
    assert!(reply.contains("Connection: close"));
    let reply = exchange(
        addr,
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    );
    assert_eq!(statuses(&reply), ["200", "200"]);
    server.stop(Duration::from_secs(1));
}

#[test]
fn slow_head_is_answered_408_and_closed() {
    let timeout = Duration::from_millis(200);
    let (server, addr) = server(Limits {
        head_timeout: timeout,
        ..Limits::default()
    });
    let start = Instant::now();
    // Half a head, then silence (a slowloris client).
    let reply = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n");
    assert!(
        start.elapsed() >= timeout,
        "closed after {:?}",
        start.elapsed()
    );
    assert_eq!(statuses(&reply), ["408"], "{reply}");
    assert!(reply.contains("Connection: close"));
    server.stop(Duration::from_secs(1));
}

#[test]
fn idle_keep_alive_connection_is_closed() {
    let timeout = Duration::from_millis(200);
    let (server, addr) = server(Limits {
        head_timeout: timeout,
        ..Limits::default()
    });
    let start = Instant::now();
    let reply = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // One answer, then the idle connection is closed without a word.
    assert!(start.elapsed() >= timeout);
    assert_eq!(statuses(&reply), ["200"]);
    assert!(reply.ends_with("Hello, World!"));
    server.stop(Duration::from_secs(1));
}
