//! `examples/crawler.rs` against a real web server: a generated site of
//! 3,113 pages served by Python's `http.server` on 127.0.0.1 (see
//! [`PythonServer`] for how it is started). Every page is found exactly
//! once, links off the host are not followed, the depth limit holds, and
//! 50 greenlets finish several times faster than one.

mod tools;

#[path = "../examples/crawler.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod crawler;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crawler::{Options, Summary};
use url::Url;

const SECTIONS: usize = 10;
const CHAPTERS: usize = 10;
const LEAVES: usize = 30;

/// Writes the site under `root`; returns the path of every page a crawl
/// must find (as URL paths) with its depth.
fn generate_site(root: &Path) -> BTreeMap<String, usize> {
    let mut pages = BTreeMap::new();
    let page = |title: &str, links: &[String]| {
        let mut html = format!(
            "<!DOCTYPE html>\n<html><head><title>{title}</title></head><body id=top>\n<h1>{title}</h1>\n<ul>\n"
        );
        for l in links {
            writeln!(html, "  <li><a href=\"{l}\">{l}</a></li>").unwrap();
        }
        html.push_str("</ul>\n<p><a href='#top'>top</a> <a href=\"/\">home</a>\n");
        html.push_str("<a href=\"https://example.invalid/away\">elsewhere</a>\n");
        html.push_str("<a href=\"mailto:someone@example.invalid\">mail</a></p>\n</body></html>\n");
        html
    };
    let write = |path: &str, text: String| {
        let file = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };

    let mut root_links: Vec<String> = (0..SECTIONS).map(|s| format!("s{s}/index.html")).collect();
    root_links.push("data.txt".into());
    root_links.push("missing.html".into());
    write("/index.html", page("home", &root_links));
    write("/data.txt", "not <a href=\"/never.html\">html</a>\n".into());
    pages.insert("/".to_owned(), 0);
    pages.insert("/data.txt".to_owned(), 1);
    pages.insert("/missing.html".to_owned(), 1);
    for s in 0..SECTIONS {
        let links: Vec<String> = (0..CHAPTERS).map(|c| format!("c{c}/index.html")).collect();
        write(
            &format!("/s{s}/index.html"),
            page(&format!("section {s}"), &links),
        );
        pages.insert(format!("/s{s}/index.html"), 1);
        for c in 0..CHAPTERS {
            // Absolute, relative and back links to pages seen already.
            let mut links: Vec<String> = (0..LEAVES).map(|l| format!("leaf{l}.html")).collect();
            links.push("../index.html".into());
            links.push(format!("/s{s}/c{c}/leaf0.html#part2"));
            write(
                &format!("/s{s}/c{c}/index.html"),
                page(&format!("chapter {s}.{c}"), &links),
            );
            pages.insert(format!("/s{s}/c{c}/index.html"), 2);
            for l in 0..LEAVES {
                let next = format!("leaf{}.html", (l + 1) % LEAVES);
                let links = [next, "index.html".into(), format!("/s{s}/index.html")];
                write(
                    &format!("/s{s}/c{c}/leaf{l}.html"),
                    page(&format!("leaf {s}.{c}.{l}"), &links),
                );
                pages.insert(format!("/s{s}/c{c}/leaf{l}.html"), 3);
            }
        }
    }
    pages
}

/// Python's `http.server` (`SimpleHTTPRequestHandler` on a
/// `ThreadingHTTPServer`, what `python3 -m http.server` runs) serving a
/// directory, killed on drop. Two changes from the command line version:
/// a listen backlog of 1024 instead of 5 (with 5, fifty clients
/// connecting at once overflow it and the kernel drops SYNs, stalling
/// connects for seconds), and `delay` before each answer, standing in for
/// a real site's network latency: against a local server with no latency,
/// Python's own CPU time is the limit and concurrency has nothing to hide.
/// The port is chosen by the kernel (port 0) and reported by Python.
struct PythonServer {
    child: Child,
    port: u16,
}

const SERVER_PY: &str = r#"
import functools, http.server, sys, time
directory, delay = sys.argv[1], float(sys.argv[2])
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        super().do_GET()
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
with Server(("127.0.0.1", 0), functools.partial(Handler, directory=directory)) as server:
    print(server.server_address[1], flush=True)
    server.serve_forever()
"#;

impl PythonServer {
    fn start(dir: &Path, delay: Duration) -> PythonServer {
        tools::require("python3", &["--version"], "python3");
        let mut child = Command::new("python3")
            .args(["-c", SERVER_PY])
            .arg(dir)
            .arg(delay.as_secs_f64().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3");
        // The first line is the port, printed once the server listens.
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("python http.server did not start: {line:?}"));
        PythonServer { child, port }
    }

    fn url(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}/", self.port)).unwrap()
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sprout-crawler-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(server: &PythonServer, concurrency: usize, max_depth: usize) -> Summary {
    crawler::crawl(
        server.url(),
        Options {
            concurrency,
            max_depth,
            timeout: Duration::from_secs(20),
            progress: false,
        },
    )
}

/// Asserts the crawl fetched exactly `expected` (path -> depth), once each.
fn assert_found(summary: &Summary, expected: &BTreeMap<String, usize>) {
    let mut found = BTreeMap::new();
    for v in &summary.visits {
        assert_eq!(
            v.url.host_str(),
            Some("127.0.0.1"),
            "left the host: {}",
            v.url
        );
        let previous = found.insert(v.url.path().to_owned(), v.depth);
        assert!(previous.is_none(), "{} fetched twice", v.url);
        let status = v
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", v.url));
        let want = if v.url.path() == "/missing.html" {
            404
        } else {
            200
        };
        assert_eq!(*status, want, "{}", v.url);
    }
    assert_eq!(&found, expected);
    assert_eq!(summary.pages, expected.len() - 1);
    assert_eq!(summary.errors, 1, "only /missing.html fails");
}

/// The pages within `depth` links of the start.
fn within(expected: &BTreeMap<String, usize>, depth: usize) -> BTreeMap<String, usize> {
    expected
        .iter()
        .filter(|(_, d)| **d <= depth)
        .map(|(p, d)| (p.clone(), *d))
        .collect()
}

#[test]
fn crawls_every_page_once_and_concurrency_pays() {
    let dir = temp_dir("site");
    let expected = generate_site(&dir);
    assert_eq!(expected.len(), 3 + SECTIONS * (1 + CHAPTERS * (1 + LEAVES)));
    let server = PythonServer::start(&dir, Duration::from_millis(20));

    // The whole site, 50 at a time.
    let all = run(&server, 50, 3);
    assert_found(&all, &expected);
    eprintln!("whole site, concurrency 50: {all}");

    // One greenlet against fifty on the first three levels (114 pages;
    // the whole site one at a time would take over a minute).
    let first_levels = within(&expected, 2);
    let narrow = run(&server, 1, 2);
    assert_found(&narrow, &first_levels);
    let wide = run(&server, 50, 2);
    assert_found(&wide, &first_levels);
    assert_eq!(wide.bytes, narrow.bytes);
    eprintln!("depth 2, concurrency 1: {narrow}\ndepth 2, concurrency 50: {wide}");
    assert!(
        narrow.elapsed >= wide.elapsed * 2,
        "50 greenlets took {:?}, one took {:?}: expected at least twice as fast",
        wide.elapsed,
        narrow.elapsed
    );

    // The depth limit: the start page and the pages it links to.
    let shallow = run(&server, 50, 1);
    assert_found(&shallow, &within(&expected, 1));

    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn chunked_and_unframed_bodies_are_read_whole() {
    // A hand-made server answering three ways: chunked, Content-Length,
    // and until close.
    use std::io::{Read, Write};
    let listener = sprout::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = sprout::spawn(move || {
        for kind in 0..3 {
            let (mut conn, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                conn.read_exact(&mut byte).unwrap();
                head.push(byte[0]);
            }
            let reply: &[u8] = match kind {
                0 => {
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                       5\r\n<a hr\r\nf\r\nef=\"/x\">x</a>..\r\n0\r\n\r\n"
                }
                1 => b"HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n<a href=\"/y\">y</a>",
                _ => b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<a href=\"/z\">z</a>",
            };
            for piece in reply.chunks(7) {
                conn.write_all(piece).unwrap();
            }
        }
    });
    let url = Url::parse(&format!("http://{addr}/")).unwrap();
    for want in [
        "<a href=\"/x\">x</a>..",
        "<a href=\"/y\">y</a>",
        "<a href=\"/z\">z</a>",
    ] {
        let response = crawler::fetch(&url).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(String::from_utf8(response.body.clone()).unwrap(), want);
        let link = &want[9..11];
        assert_eq!(crawler::links(&response.body), [link]);
    }
    server.join().unwrap();
}

#[test]
fn links_come_from_a_and_area_tags_outside_scripts() {
    let html = br#"<!DOCTYPE html><html><head>
        <script>var s = '<a href="/in-script">';</script>
        <style>a[href="/in-style"] { color: red }</style>
        <link rel=stylesheet href="/style.css"></head><body>
        <a href=/one>one</a> <A HREF='two.html'>two</A>
        <map><area href="three.html" alt=""></map>
        <a name=anchor>no href</a> <a href="  ">blank</a> <img src="/img.png">
        </body></html>"#;
    assert_eq!(crawler::links(html), ["/one", "two.html", "three.html"]);
}
