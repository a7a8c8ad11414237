//! The fd table across close, reuse, dup2 and other socket kinds.

mod util;

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::Duration;

use util::{in_greenlet, pair};

#[test]
fn a_reused_fd_number_is_not_mistaken_for_the_old_socket() {
    in_greenlet(|| {
        let (client, server) = pair();
        drop(client);
        drop(server);
        // The file gets one of the numbers just closed (the lowest free
        // one, unless a test running in parallel took it first): it must
        // read as a file, not be waited on as the old socket.
        let mut file = std::fs::File::open("/proc/self/stat").unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert!(!text.is_empty());
    });
}

#[test]
fn dup2_onto_a_managed_socket() {
    in_greenlet(|| {
        let (a_client, a_server) = pair();
        let (b_client, b_server) = pair();
        // b_client's number now names a_client's socket.
        // SAFETY: both fds are open; dup2 closes b_client's old socket,
        // which `b_client` still owns and closes again at the end (EBADF
        // or the dup, both harmless here as it is forgotten below).
        let r = unsafe { libc::dup2(a_client.as_raw_fd(), b_client.as_raw_fd()) };
        assert_eq!(r, b_client.as_raw_fd());
        let writer = sprout_runtime::spawn(move || {
            sprout_runtime::sleep(Duration::from_millis(5));
            (&a_server).write_all(b"via dup2").unwrap();
            a_server
        });
        let mut buf = [0; 8];
        (&b_client).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"via dup2");
        drop(writer.join());
        drop((a_client, b_client, b_server));
    });
}

#[test]
fn udp_recv_from_parks() {
    in_greenlet(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b_addr = b.local_addr().unwrap();
        let receiver = sprout_runtime::spawn(move || {
            let mut buf = [0; 16];
            let (n, from) = b.recv_from(&mut buf).unwrap();
            (buf[..n].to_vec(), from)
        });
        let waits = sprout_monkey::stats().waits;
        sprout_runtime::yield_now();
        assert!(sprout_monkey::stats().waits > waits, "the receiver parked");
        a.send_to(b"datagram", b_addr).unwrap();
        let (data, from) = receiver.join().unwrap();
        assert_eq!(data, b"datagram");
        assert_eq!(from, a.local_addr().unwrap());
    });
}

#[test]
fn vectored_io() {
    in_greenlet(|| {
        let (client, server) = pair();
        let reader = sprout_runtime::spawn(move || {
            let (mut x, mut y) = ([0; 3], [0; 4]);
            let mut total = 0;
            while total < 7 {
                let mut bufs = [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)];
                assert!(total == 0, "one segment delivered both");
                total += (&server).read_vectored(&mut bufs).unwrap();
            }
            (x, y)
        });
        sprout_runtime::yield_now();
        let n = (&client)
            .write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg")])
            .unwrap();
        assert_eq!(n, 7);
        assert_eq!(reader.join().unwrap(), (*b"abc", *b"defg"));
    });
}

#[test]
fn io_copy_from_a_file_into_a_managed_socket() {
    let path = std::env::temp_dir().join(format!("sprout-monkey-copy-{}", std::process::id()));
    std::fs::write(&path, vec![7u8; 4 << 20]).unwrap();
    let source = path.clone();
    let (copied, received) = in_greenlet(move || {
        let (mut client, server) = pair();
        let reader = sprout_runtime::spawn(move || {
            let mut buf = [0; 65536];
            let mut total = 0;
            loop {
                match (&server).read(&mut buf).unwrap() {
                    0 => break total,
                    n => total += n,
                }
            }
        });
        let mut file = std::fs::File::open(&source).unwrap();
        let copied = std::io::copy(&mut file, &mut client).unwrap();
        drop(client);
        (copied, reader.join().unwrap())
    });
    std::fs::remove_file(path).unwrap();
    assert_eq!(copied, 4 << 20);
    assert_eq!(received, 4 << 20);
}
