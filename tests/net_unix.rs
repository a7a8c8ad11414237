//! Unix domain sockets: stream and datagram round trips.

mod util;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use sprout::net::{UnixDatagram, UnixListener, UnixStream};
use sprout::spawn;
use util::assert_timed_out;

/// A fresh directory for socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("sprout-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn stream_round_trip_through_a_listener() {
    let dir = TempDir::new("stream");
    let path = dir.path("echo.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let server = spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0; 64];
        loop {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            conn.write_all(&buf[..n].to_ascii_uppercase()).unwrap();
        }
    });
    let mut client = UnixStream::connect(&path).unwrap();
    for word in ["abc", "unix sockets"] {
        client.write_all(word.as_bytes()).unwrap();
        let mut reply = vec![0; word.len()];
        client.read_exact(&mut reply).unwrap();
        assert_eq!(reply, word.to_uppercase().as_bytes());
    }
    client.shutdown(std::net::Shutdown::Write).unwrap();
    server.join().unwrap();
    assert_eq!(client.read(&mut [0; 1]).unwrap(), 0);
}

#[test]
fn connect_to_a_missing_path_fails() {
    let dir = TempDir::new("missing");
    let err = UnixStream::connect(dir.path("nobody.sock")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn pair_timeouts_clone_and_conversions() {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    assert_eq!(a.read_timeout().unwrap(), Some(Duration::from_millis(20)));
    assert_timed_out((&a).read(&mut [0; 1]));
    let c = b.try_clone().unwrap();
    (&c).write_all(b"via clone").unwrap();
    let mut buf = [0; 9];
    (&a).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"via clone");
    assert!(a.take_error().unwrap().is_none());
    let std_a = a.into_std().unwrap();
    let a = UnixStream::from_std(std_a).unwrap();
    (&b).write_all(b"!").unwrap();
    (&a).read_exact(&mut buf[..1]).unwrap();
    assert_eq!(buf[0], b'!');
}

#[test]
fn incoming_accepts_several_clients() {
    let dir = TempDir::new("incoming");
    let path = dir.path("s.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let p = path.clone();
    let clients = spawn(move || {
        (0..3u8)
            .map(|i| {
                let mut s = UnixStream::connect(&p).unwrap();
                s.write_all(&[i]).unwrap();
                s
            })
            .collect::<Vec<_>>()
    });
    let mut got: Vec<u8> = listener
        .incoming()
        .take(3)
        .map(|c| {
            let mut b = [0; 1];
            c.unwrap().read_exact(&mut b).unwrap();
            b[0]
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2]);
    drop(clients.join().unwrap());
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
}

#[test]
fn datagram_round_trip_by_path() {
    let dir = TempDir::new("dgram");
    let server_path = dir.path("server.sock");
    let client_path = dir.path("client.sock");
    let server = UnixDatagram::bind(&server_path).unwrap();
    let echo = spawn(move || {
        let mut buf = [0; 64];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        let to = from.as_pathname().unwrap().to_owned();
        server.send_to(&buf[..n].to_ascii_uppercase(), to).unwrap();
    });
    let client = UnixDatagram::bind(&client_path).unwrap();
    client.send_to(b"datagram", &server_path).unwrap();
    let mut buf = [0; 64];
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"DATAGRAM");
    echo.join().unwrap();
}

#[test]
fn datagram_pair_and_timeouts() {
    let (a, b) = UnixDatagram::pair().unwrap();
    a.send(b"one").unwrap();
    let mut buf = [0; 8];
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
    b.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
    assert_timed_out(b.recv(&mut buf));
    let unbound = UnixDatagram::unbound().unwrap();
    assert!(unbound.local_addr().unwrap().is_unnamed());
}
