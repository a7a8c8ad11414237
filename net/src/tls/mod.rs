//! TLS over sprout's [`TcpStream`](crate::TcpStream) with
//! [rustls](https://docs.rs/rustls) (the `tls` feature; gevent's `ssl`).
//!
//! [`TlsAcceptor`] and [`TlsConnector`] take a rustls `ServerConfig` or
//! `ClientConfig`, run the handshake on an accepted or connected
//! `TcpStream`, and return a [`TlsStream`]: plaintext `Read` and `Write`
//! that encrypt onto the socket. Like every sprout socket call, a read or
//! write that would block parks only the calling greenlet.
//!
//! The crypto is rustls' `ring` provider; build configs with the
//! [`rustls`] re-exported here so the versions match.
//!
//! # Timeouts
//!
//! The socket's own timeouts ([`TcpStream::set_read_timeout`],
//! [`TcpStream::set_write_timeout`]) bound every socket read and write,
//! during the handshake as after it: a peer that stays silent during the
//! handshake makes `accept`/`connect` fail with `TimedOut` once the read
//! timeout passes. To bound the whole handshake rather than each read,
//! wrap the call in [`sprout_runtime::with_timeout`].
//!
//! # Example
//!
//! ```no_run
//! # // no_run: needs a certificate and key in PEM files.
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use std::time::Duration;
//! use sprout_net::tls::rustls::pki_types::pem::PemObject;
//! use sprout_net::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
//! use sprout_net::tls::{TlsAcceptor, rustls};
//! use sprout_net::{StreamServer, TcpStream};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let certs = CertificateDer::pem_file_iter("cert.pem")?.collect::<Result<Vec<_>, _>>()?;
//! let key = PrivateKeyDer::from_pem_file("key.pem")?;
//! let config = rustls::ServerConfig::builder()
//!     .with_no_client_auth()
//!     .with_single_cert(certs, key)?;
//! let acceptor = TlsAcceptor::new(Arc::new(config));
//! let server = StreamServer::bind("127.0.0.1:8443", move |conn: TcpStream, _peer| {
//!     conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
//!     let Ok(mut tls) = acceptor.accept(conn) else { return };
//!     let mut buf = [0; 4096];
//!     while let Ok(n @ 1..) = tls.read(&mut buf) {
//!         if tls.write_all(&buf[..n]).is_err() {
//!             break;
//!         }
//!     }
//! })?;
//! server.serve_forever()?;
//! # Ok(())
//! # }
//! ```
//!
//! [`TcpStream::set_read_timeout`]: crate::TcpStream::set_read_timeout
//! [`TcpStream::set_write_timeout`]: crate::TcpStream::set_write_timeout

mod acceptor;
mod connector;
mod stream;

pub use acceptor::TlsAcceptor;
pub use connector::TlsConnector;
pub use rustls;
pub use stream::TlsStream;
