//! `sprout::net::tls`: a sprout TLS server checked with real clients
//! (`openssl s_client`, `curl --cacert`) and with the sprout client, and
//! handshake timeouts against silent peers. Certificates are made here
//! with rcgen: a test CA and a leaf for `localhost` and `127.0.0.1`.
//!
//! Run: `cargo test --features tls --test net_tls`
#![cfg(feature = "tls")]

mod tools;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use sprout::net::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sprout::net::tls::{TlsAcceptor, TlsConnector, TlsStream, rustls};
use sprout::net::{StreamServer, TcpListener, TcpStream};

/// A CA and a leaf certificate it signed, as DER and as PEM files.
struct Pki {
    ca_der: CertificateDer<'static>,
    leaf_der: CertificateDer<'static>,
    leaf_key: PrivatePkcs8KeyDer<'static>,
    dir: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sprout test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().unwrap();
        let leaf_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

        let dir =
            std::env::temp_dir().join(format!("sprout-net-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        Pki {
            ca_der: ca_cert.der().clone(),
            leaf_der: leaf_cert.der().clone(),
            leaf_key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
            dir,
        }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn acceptor(&self) -> TlsAcceptor {
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![self.leaf_der.clone()],
                PrivateKeyDer::Pkcs8(self.leaf_key.clone_key()),
            )
            .unwrap();
        TlsAcceptor::new(Arc::new(config))
    }

    fn connector(&self) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::new(Arc::new(config))
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TLS server on 127.0.0.1:0 running `handler` on each handshaken
/// stream; failed handshakes are dropped.
fn tls_server(
    acceptor: TlsAcceptor,
    handler: impl Fn(TlsStream<rustls::ServerConnection>) + 'static,
) -> StreamServer {
    let server = StreamServer::bind("127.0.0.1:0", move |conn: TcpStream, _peer| {
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        if let Ok(tls) = acceptor.accept(conn) {
            handler(tls);
        }
    })
    .unwrap();
    server.start().unwrap();
    server
}

/// Replies to each line with the line in upper case until end of stream,
/// then sends `close_notify`.
fn upper_lines(tls: TlsStream<rustls::ServerConnection>) {
    let mut reader = BufReader::new(tls);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(1..) => {
                if reader
                    .get_mut()
                    .write_all(line.to_ascii_uppercase().as_bytes())
                    .is_err()
                {
                    return;
                }
                if line.trim_end() == "bye" {
                    break;
                }
            }
            _ => break,
        }
    }
    let _ = reader.get_mut().shutdown();
}

#[test]
fn sprout_client_and_server() {
    let pki = Pki::new("echo");
    let server = tls_server(pki.acceptor(), upper_lines);
    let addr = server.local_addr().unwrap();
    let connector = pki.connector();
    let clients: Vec<_> = (0..20)
        .map(|i| {
            let connector = connector.clone();
            sprout::spawn(move || -> io::Result<Vec<String>> {
                let tcp = TcpStream::connect(addr)?;
                let name = if i % 2 == 0 { "localhost" } else { "127.0.0.1" };
                let mut tls = connector.connect(name, tcp)?;
                for j in 0..3 {
                    tls.write_all(format!("hello {i} {j}\n").as_bytes())?;
                }
                tls.write_all(b"bye\n")?;
                let mut text = String::new();
                tls.read_to_string(&mut text)?;
                Ok(text.lines().map(str::to_owned).collect())
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        let lines = c.join().unwrap().unwrap();
        assert_eq!(
            lines,
            [
                format!("HELLO {i} 0"),
                format!("HELLO {i} 1"),
                format!("HELLO {i} 2"),
                "BYE".to_owned()
            ]
        );
    }
    server.stop(Duration::from_secs(1));
}

#[test]
fn sprout_client_rejects_unknown_ca_and_wrong_name() {
    let pki = Pki::new("reject");
    let other = Pki::new("reject-other");
    let server = tls_server(pki.acceptor(), upper_lines);
    let addr = server.local_addr().unwrap();

    let tcp = TcpStream::connect(addr).unwrap();
    let err = other.connector().connect("localhost", tcp).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");

    let tcp = TcpStream::connect(addr).unwrap();
    let err = pki.connector().connect("example.invalid", tcp).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");

    let tcp = TcpStream::connect(addr).unwrap();
    let err = pki.connector().connect("not a name", tcp).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    server.stop(Duration::from_secs(1));
}

#[test]
fn openssl_s_client_talks_to_sprout_server() {
    tools::require("openssl", &["version"], "openssl");
    let pki = Pki::new("openssl");
    let server = tls_server(pki.acceptor(), upper_lines);
    let port = server.local_addr().unwrap().port();
    for version in ["-tls1_3", "-tls1_2"] {
        let mut cmd = Command::new("openssl");
        cmd.args([
            "s_client",
            version,
            "-quiet",
            "-ign_eof",
            "-verify_return_error",
        ])
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .arg("-CAfile")
        .arg(pki.ca_file());
        let out = tools::output_with_input(cmd, b"hello openssl\nbye\n".to_vec());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "openssl s_client {version} failed: {stderr}"
        );
        assert_eq!(stdout, "HELLO OPENSSL\nBYE\n", "stderr: {stderr}");
        assert!(stderr.contains("verify return:1"), "{stderr}");
    }
    server.stop(Duration::from_secs(1));
}

#[test]
fn curl_gets_a_page_over_https() {
    tools::require("curl", &["--version"], "curl");
    let pki = Pki::new("curl");
    let server = tls_server(pki.acceptor(), |tls| {
        let mut reader = BufReader::new(tls);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        // Skip the headers up to the blank line.
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(1..) if line != "\r\n" => {}
                Ok(1..) => break,
                _ => return,
            }
        }
        let body = format!("hello over tls: {}", request_line.trim_end());
        let tls = reader.get_mut();
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = tls.write_all(reply.as_bytes());
        let _ = tls.shutdown();
    });
    let port = server.local_addr().unwrap().port();
    for host in ["localhost", "127.0.0.1"] {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--max-time", "20"])
            .arg("--cacert")
            .arg(pki.ca_file())
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://{host}:{port}/tls-test"));
        let out = tools::output(cmd);
        assert!(
            out.status.success(),
            "curl https://{host} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "hello over tls: GET /tls-test HTTP/1.1"
        );
    }
    // Without the CA, curl refuses the certificate.
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--max-time", "20"])
        .arg(format!("https://127.0.0.1:{port}/"));
    let out = tools::output(cmd);
    assert_eq!(out.status.code(), Some(60), "curl: unknown CA is error 60");
    server.stop(Duration::from_secs(1));
}

#[test]
fn client_handshake_times_out_against_a_silent_server() {
    let pki = Pki::new("silent-server");
    // The kernel completes the TCP handshake; nothing ever answers TLS.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = silent.local_addr().unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let err = pki.connector().connect("localhost", tcp).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() >= Duration::from_millis(100));
    drop(silent);
}

#[test]
fn server_handshake_times_out_against_a_silent_client() {
    let pki = Pki::new("silent-client");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = sprout::spawn(move || {
        let tcp = TcpStream::connect(addr).unwrap();
        // Hold the connection open and silent until the server gives up.
        let mut buf = [0; 1];
        let n = (&tcp).read(&mut buf).unwrap();
        assert_eq!(n, 0, "the server closes without sending anything");
    });
    let (conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let err = pki.acceptor().accept(conn).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() >= Duration::from_millis(100));
    client.join().unwrap();
}

#[test]
fn handshake_fails_cleanly_when_the_peer_closes() {
    let pki = Pki::new("eof");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = sprout::spawn(move || drop(TcpStream::connect(addr).unwrap()));
    let (conn, _) = listener.accept().unwrap();
    client.join().unwrap();
    let err = pki.acceptor().accept(conn).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

#[test]
fn large_messages_cross_record_boundaries() {
    const SIZE: usize = 1 << 20; // many 16 KiB TLS records
    let pki = Pki::new("large");
    let server = tls_server(pki.acceptor(), |mut tls| {
        // Read the whole message, then send it back reversed.
        let mut msg = vec![0u8; SIZE];
        tls.read_exact(&mut msg).unwrap();
        msg.reverse();
        tls.write_all(&msg).unwrap();
        tls.shutdown().unwrap();
    });
    let tcp = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let mut tls = pki.connector().connect("localhost", tcp).unwrap();
    let msg: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
    tls.write_all(&msg).unwrap();
    tls.flush().unwrap();
    let mut back = Vec::new();
    tls.read_to_end(&mut back).unwrap();
    back.reverse();
    assert!(back == msg, "the echoed message differs");
    server.stop(Duration::from_secs(1));
}

#[test]
fn close_without_close_notify_is_unexpected_eof() {
    let pki = Pki::new("truncate");
    let server = tls_server(pki.acceptor(), |mut tls| {
        tls.write_all(b"partial").unwrap();
        // Close the socket without a TLS close_notify (a truncation).
        let (_conn, tcp) = tls.into_parts();
        tcp.shutdown(std::net::Shutdown::Both).unwrap();
    });
    let tcp = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let mut tls = pki.connector().connect("localhost", tcp).unwrap();
    let mut got = Vec::new();
    let err = tls.read_to_end(&mut got).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(got, b"partial");
    server.stop(Duration::from_secs(1));
}
