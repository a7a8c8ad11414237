//! A web crawler: a `Pool` of N greenlets fetches pages over HTTP/1.1,
//! starting from one URL and following links within the same host.
//!
//! ```text
//! python3 -m http.server --bind 127.0.0.1 8000 &     # any site on this host
//! cargo run --release --example crawler -- http://127.0.0.1:8000/ --concurrency 50 --depth 5
//! ```
//!
//! Options: `--concurrency N` (greenlets fetching at once, default 20),
//! `--depth D` (links followed from the start page, default 3),
//! `--timeout SECS` (per request: connect, send, receive, default 10).
//!
//! Every page is a plain blocking function — connect (host names resolved
//! on the thread pool), write the request, read the response — run by one
//! of the pool's greenlets; the pool caps how many run at once and the
//! main greenlet blocks in `Pool::spawn` while all are busy. Responses are
//! parsed with `httparse` (`Content-Length`, chunked, or until close), and
//! links are found with `html5gum`'s HTML tokenizer and resolved with
//! `url`. Each URL (without its fragment) is fetched at most once. On a
//! terminal, an `indicatif` progress bar shows the pages done; at the end
//! a summary gives pages, bytes, errors and the time taken.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;
use std::io::{self, IsTerminal as _, Read, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use sprout::net::TcpStream;
use sprout::pool::Pool;
use sprout::queue::Queue;
use url::Url;

/// Longest response head, in bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Longest response body kept, in bytes.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How to crawl.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Greenlets fetching at once.
    pub(crate) concurrency: usize,
    /// How many links away from the start page to go.
    pub(crate) max_depth: usize,
    /// Time allowed for one request, from connect to the last body byte.
    pub(crate) timeout: Duration,
    /// Show a progress bar.
    pub(crate) progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: 20,
            max_depth: 3,
            timeout: Duration::from_secs(10),
            progress: false,
        }
    }
}

/// The outcome of one fetch.
#[derive(Debug)]
pub(crate) struct Visit {
    pub(crate) url: Url,
    pub(crate) depth: usize,
    /// The HTTP status, or why there is none.
    pub(crate) result: Result<u16, String>,
}

/// What a crawl did.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// Pages fetched with a 2xx status.
    pub(crate) pages: usize,
    /// Body bytes received.
    pub(crate) bytes: u64,
    /// Fetches that failed (connection, timeout, bad response) or got a
    /// 4xx or 5xx status.
    pub(crate) errors: usize,
    pub(crate) elapsed: Duration,
    /// Every fetch, in the order they finished.
    pub(crate) visits: Vec<Visit>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "{} pages, {} bytes, {} errors in {:.2} s ({:.0} pages/s)",
            self.pages,
            self.bytes,
            self.errors,
            secs,
            self.pages as f64 / secs.max(1e-9)
        )
    }
}

/// State shared by the crawl's greenlets (all on one hub, so `Rc`).
struct Crawl {
    start: Url,
    options: Options,
    seen: RefCell<HashSet<String>>,
    /// URLs queued or being fetched; the crawl ends when it reaches 0.
    pending: Cell<usize>,
    todo: Queue<(Url, usize)>,
    summary: RefCell<Summary>,
    progress: Option<ProgressBar>,
}

/// Crawls from `start` and returns what it found.
pub(crate) fn crawl(start: Url, options: Options) -> Summary {
    let started = Instant::now();
    let progress = options.progress.then(|| {
        let bar = ProgressBar::new(1);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
            )
            .expect("the progress template is valid"),
        );
        bar
    });
    let crawl = Rc::new(Crawl {
        start: start.clone(),
        options,
        seen: RefCell::new(HashSet::new()),
        pending: Cell::new(0),
        todo: Queue::new(),
        summary: RefCell::new(Summary::default()),
        progress,
    });
    crawl.discover(start, 0);

    let pool = Pool::new(crawl.options.concurrency);
    // Ends when the last fetch finds nothing new and shuts the queue down.
    for (url, depth) in crawl.todo.iter() {
        let crawl = Rc::clone(&crawl);
        // Blocks while every greenlet of the pool is busy.
        pool.spawn(move || crawl.visit(url, depth));
    }
    pool.join();

    if let Some(bar) = &crawl.progress {
        bar.finish_and_clear();
    }
    let mut summary = crawl.summary.take();
    summary.elapsed = started.elapsed();
    summary
}

impl Crawl {
    /// Queues `url` unless it was seen before or leaves the start site.
    fn discover(&self, mut url: Url, depth: usize) {
        url.set_fragment(None);
        if depth > self.options.max_depth
            || url.scheme() != "http"
            || url.host_str() != self.start.host_str()
            || url.port_or_known_default() != self.start.port_or_known_default()
        {
            return;
        }
        if !self.seen.borrow_mut().insert(url.as_str().to_owned()) {
            return;
        }
        self.pending.set(self.pending.get() + 1);
        if let Some(bar) = &self.progress {
            bar.set_length(self.seen.borrow().len() as u64);
        }
        self.todo
            .put((url, depth))
            .expect("the queue is shut down only when nothing is pending");
    }

    /// Fetches one page and queues its links.
    fn visit(&self, url: Url, depth: usize) {
        let result = sprout::with_timeout(self.options.timeout, || fetch(&url))
            .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "request timed out")));
        let result = match result {
            Ok(response) => {
                {
                    let mut s = self.summary.borrow_mut();
                    s.bytes += response.body.len() as u64;
                    match response.status {
                        200..=299 => s.pages += 1,
                        400.. => s.errors += 1,
                        _ => {}
                    }
                }
                if let Some(location) = &response.location {
                    // A redirect leads to the same page, one step further.
                    if let Ok(next) = url.join(location) {
                        self.discover(next, depth);
                    }
                }
                if response.is_html() {
                    for link in links(&response.body) {
                        if let Ok(next) = url.join(&link) {
                            self.discover(next, depth + 1);
                        }
                    }
                }
                Ok(response.status)
            }
            Err(e) => {
                self.summary.borrow_mut().errors += 1;
                Err(e.to_string())
            }
        };
        if let Some(bar) = &self.progress {
            bar.inc(1);
            bar.set_message(url.path().to_owned());
        }
        self.summary
            .borrow_mut()
            .visits
            .push(Visit { url, depth, result });
        self.pending.set(self.pending.get() - 1);
        if self.pending.get() == 0 {
            self.todo.shutdown();
        }
    }
}

/// A response: status, `Location` and `Content-Type` headers, body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    fn is_html(&self) -> bool {
        (200..300).contains(&self.status)
            && self
                .content_type
                .as_deref()
                .is_none_or(|t| t.to_ascii_lowercase().starts_with("text/html"))
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// `GET url` over HTTP/1.1 on a new connection. Blocks the current
/// greenlet until the whole response is read; other greenlets run
/// meanwhile.
pub(crate) fn fetch(url: &Url) -> io::Result<Response> {
    let host = url
        .host_str()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "URL has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "URL has no port"))?;
    // Resolves the name on the thread pool, then connects.
    let mut conn = TcpStream::connect((host, port))?;
    conn.set_nodelay(true)?;
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: sprout-crawler\r\n\
         Accept: text/html, */*\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes())?;

    // The head.
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    let (head_len, status, location, content_type, length, chunked) = loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("connection closed before the response head ended"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        match resp
            .parse(&buf)
            .map_err(|e| invalid(format!("bad response: {e}")))?
        {
            httparse::Status::Partial if buf.len() > MAX_HEAD_BYTES => {
                return Err(invalid("response head too long"));
            }
            httparse::Status::Partial => continue,
            httparse::Status::Complete(head_len) => {
                let status = resp.code.unwrap_or(0);
                let header = |name: &str| {
                    resp.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
                };
                let length = match header("content-length") {
                    Some(v) => Some(
                        v.parse::<usize>()
                            .map_err(|_| invalid("bad Content-Length"))?,
                    ),
                    None => None,
                };
                let chunked = header("transfer-encoding")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
                break (
                    head_len,
                    status,
                    header("location").filter(|_| (300..400).contains(&status)),
                    header("content-type"),
                    length,
                    chunked,
                );
            }
        }
    };
    let rest = buf.split_off(head_len);

    let body = if status < 200 || status == 204 || status == 304 {
        Vec::new()
    } else if chunked {
        read_chunked(&mut conn, rest)?
    } else if let Some(length) = length {
        if length > MAX_BODY_BYTES {
            return Err(invalid("response body too large"));
        }
        let mut body = rest;
        body.truncate(length);
        let have = body.len();
        body.resize(length, 0);
        conn.read_exact(&mut body[have..])?;
        body
    } else {
        // Until the server closes.
        let mut body = rest;
        (&mut conn)
            .take((MAX_BODY_BYTES - body.len().min(MAX_BODY_BYTES)) as u64)
            .read_to_end(&mut body)?;
        body
    };
    Ok(Response {
        status,
        location,
        content_type,
        body,
    })
}

/// Decodes a chunked body; `buf` holds what was read after the head.
fn read_chunked(conn: &mut TcpStream, mut buf: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut pos = 0;
    let mut chunk = [0u8; 16 * 1024];
    // Reads more into `buf`, failing at end of stream.
    let mut more = |buf: &mut Vec<u8>| -> io::Result<()> {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("connection closed inside a chunked body"));
        }
        buf.extend_from_slice(&chunk[..n]);
        Ok(())
    };
    loop {
        let (start, size) = match httparse::parse_chunk_size(&buf[pos..]) {
            Ok(httparse::Status::Complete((n, size))) => (pos + n, size as usize),
            Ok(httparse::Status::Partial) => {
                more(&mut buf)?;
                continue;
            }
            Err(_) => return Err(invalid("bad chunk size")),
        };
        if body.len() + size > MAX_BODY_BYTES {
            return Err(invalid("response body too large"));
        }
        if size == 0 {
            // Trailers are ignored; the connection closes after them.
            return Ok(body);
        }
        // The chunk's data and its CRLF.
        while buf.len() < start + size + 2 {
            more(&mut buf)?;
        }
        if &buf[start + size..start + size + 2] != b"\r\n" {
            return Err(invalid("chunk not followed by CRLF"));
        }
        body.extend_from_slice(&buf[start..start + size]);
        pos = start + size + 2;
    }
}

/// The `href`s of `<a>` and `<area>` tags in an HTML document.
pub(crate) fn links(html: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    // Switch to raw text inside <script>, <style>, <textarea>, ... (a
    // tokenizer alone cannot know), so markup in scripts is not taken for
    // links.
    let mut emitter = html5gum::DefaultEmitter::default();
    emitter.naively_switch_states(true);
    for token in html5gum::Tokenizer::new_with_emitter(html, emitter).flatten() {
        if let html5gum::Token::StartTag(tag) = token {
            if &**tag.name != b"a" && &**tag.name != b"area" {
                continue;
            }
            if let Some(href) = tag.attributes.get(b"href".as_slice()) {
                let href = String::from_utf8_lossy(href).trim().to_owned();
                if !href.is_empty() {
                    out.push(href);
                }
            }
        }
    }
    out
}

fn usage() -> ! {
    eprintln!("usage: crawler URL [--concurrency N (20)] [--depth D (3)] [--timeout SECS (10)]");
    std::process::exit(2);
}

fn main() {
    let mut options = Options::default();
    let mut start = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--concurrency" => options.concurrency = value().parse().unwrap_or_else(|_| usage()),
            "--depth" => options.max_depth = value().parse().unwrap_or_else(|_| usage()),
            "--timeout" => {
                let secs: f64 = value().parse().unwrap_or_else(|_| usage());
                options.timeout = Duration::from_secs_f64(secs);
            }
            "-h" | "--help" => usage(),
            _ => {
                start = Some(Url::parse(&arg).unwrap_or_else(|e| {
                    eprintln!("bad URL {arg}: {e}");
                    usage()
                }))
            }
        }
    }
    let Some(start) = start else { usage() };
    if options.concurrency == 0 {
        usage();
    }
    options.progress = io::stdout().is_terminal();
    let summary = crawl(start, options);
    for visit in &summary.visits {
        let (url, depth) = (&visit.url, visit.depth);
        if let Err(e) = &visit.result {
            println!("error: {url} (depth {depth}): {e}");
        } else if let Ok(status @ 400..) = visit.result {
            println!("error: {url} (depth {depth}): HTTP {status}");
        }
    }
    println!("{summary}");
    if summary.pages == 0 {
        // Nothing fetched at all: say so to scripts too.
        std::process::exit(1);
    }
}
