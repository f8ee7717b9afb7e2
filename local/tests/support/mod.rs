//! The harness of the `adgen` binary's tests: the `adgen serve` process on a free loopback
//! port over a fresh data folder, a bounded run of the CLI, and a blocking HTTP/1.1 client.
//!
//! The client is written by hand on purpose: request targets go out byte for byte (no client
//! normalises `..` or percent-escapes away), and every response is checked for exactly the
//! bytes its head announces. Responses are parsed by the tests' one parser,
//! [`adgen_testkit::http`]; this side only reads the socket.
//!
//! Every wait is bounded (startup, socket reads and writes, the CLI), and every process it
//! starts is killed when its guard drops, panics included.

// Each test crate (`serve`, `keys`, `cli`, …) uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use adgen_testkit::http;
pub use adgen_testkit::http::Response;
use uuid::Uuid;

/// Startup includes opening SQLite and, on a loaded machine, the process itself.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Any single socket read or write; every answer here is local and small.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// `adgen keys create` opens the store and writes one row.
const CLI_TIMEOUT: Duration = Duration::from_secs(20);

pub const GENERATIONS: &str = "/api/v1/images/generations";

// ---------------------------------------------------------------------------------------------
// Processes and folders.

/// Kills and reaps its process when dropped, so no server outlives the test.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh folder under cargo's per-target temp directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `<CARGO_TARGET_TMPDIR>/<prefix>-<uuid>`, created empty.
    pub fn new(prefix: &str) -> Self {
        let path =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("creating the test's temp folder");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn path_arg(path: &Path) -> &str {
    path.to_str().expect("the temp folder's path is UTF-8")
}

/// Runs the `adgen` CLI to completion (bounded), with `envs` added to the environment, and
/// returns its stdout; a failed run panics with its stderr.
pub fn run_cli(args: &[&str], envs: &[(&str, &str)]) -> String {
    let run = run_cli_for(args, envs, CLI_TIMEOUT);
    assert_eq!(run.code, Some(0), "adgen {args:?}: {}", run.stderr);
    run.stdout
}

/// How a CLI run ended.
#[derive(Debug)]
pub struct CliRun {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `adgen` CLI to completion within `timeout`, with `envs` added to the
/// environment (and `ADGEN_API_KEY` / `ADGEN_ENDPOINT` removed unless given there).
pub fn run_cli_for(args: &[&str], envs: &[(&str, &str)], timeout: Duration) -> CliRun {
    run_cli_env(args, envs, &[], timeout)
}

/// As [`run_cli_for`], with the variables `remove` taken out of the environment too.
pub fn run_cli_env(
    args: &[&str],
    envs: &[(&str, &str)],
    remove: &[&str],
    timeout: Duration,
) -> CliRun {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adgen"));
    for name in remove {
        command.env_remove(name);
    }
    let mut child = ChildGuard(
        command
            .args(args)
            .env_remove("ADGEN_API_KEY")
            .env_remove("ADGEN_ENDPOINT")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning adgen"),
    );
    // Drained on threads: a long run (a job followed to its end) may print more than a pipe holds.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .0
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .0
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("waiting for adgen") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "adgen {args:?} did not finish within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    CliRun {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

// ---------------------------------------------------------------------------------------------
// The server process.

pub struct Server {
    // Fields drop in order: the process first, then its folder.
    _child: ChildGuard,
    root: TempDir,
    pub data_dir: PathBuf,
    addr: SocketAddr,
    /// `http://127.0.0.1:<port>`, as the server reported it.
    pub base_url: String,
    api_key: String,
    /// The demo organisation a first start creates, which owns `api_key`.
    pub org: Uuid,
}

impl Server {
    /// Starts `adgen serve --port 0` over a fresh data folder and waits (bounded) until it
    /// reports its address, its demo organisation and that organisation's API key.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// As [`Server::start`], with more `serve` flags (`--allow-loopback-urls`).
    pub fn start_with(flags: &[&str]) -> Self {
        let root = TempDir::new("serve");
        let data_dir = root.path().join("data");
        let started = launch(root.path(), &data_dir, flags);
        let addr = started.addr;
        Self {
            _child: started.child,
            base_url: started.base_url,
            api_key: started
                .api_key
                .expect("a first start prints the API key before serving"),
            org: started
                .org
                .expect("a first start names its demo organisation"),
            root,
            data_dir,
            addr,
        }
    }

    /// Kills the server at once (SIGKILL: no shutdown of any kind, as a crash) and starts a
    /// new one on the same data folder, with `flags`; waits until it serves.
    pub fn kill_and_restart(&mut self, flags: &[&str]) {
        let _ = self._child.0.kill();
        let _ = self._child.0.wait();
        let started = launch(self.root.path(), &self.data_dir, flags);
        assert!(started.api_key.is_none(), "a restart is not a first start");
        self._child = started.child;
        self.addr = started.addr;
        self.base_url = started.base_url;
    }

    /// The demo organisation's API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The `Authorization` value of the demo organisation's key.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.api_key)
    }

    /// Where submission stages the first inline reference of a job.
    pub fn staged_reference(&self, job_id: Uuid) -> PathBuf {
        self.data_dir
            .join("blobs/staging")
            .join(self.org.to_string())
            .join(job_id.to_string())
            .join("0")
    }

    /// One request on its own connection (`Connection: close`), the target sent as written.
    /// Checks that the response carries exactly the body its head announces, then nothing.
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Response {
        let mut stream = self.connect();
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).expect("sending the request");

        let (response, mut rest) = read_response(&mut stream, method == "HEAD");
        stream
            .read_to_end(&mut rest)
            .expect("reading to the end of the connection");
        assert!(
            rest.is_empty(),
            "{method} {target}: {} bytes after the announced body: {response}",
            rest.len()
        );
        self.check_alive();
        response
    }

    /// A submission announcing `body.len()` bytes of which `send` are written (by a second
    /// thread, so that an early answer is read while writing, and a write that the server
    /// refuses only ends that thread).
    pub fn send_large(&self, body: &[u8], send: usize) -> Response {
        let mut stream = self.connect();
        let head = format!(
            "POST {GENERATIONS} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            self.bearer(),
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("sending the head");
        let mut writer = stream.try_clone().expect("cloning the socket");
        let part = body[..send].to_vec();
        let writing = std::thread::spawn(move || {
            let _ = writer.write_all(&part);
        });
        let (response, _) = read_response(&mut stream, false);
        // Unblocks the writer if the server stopped reading; then nothing is left running.
        let _ = stream.shutdown(Shutdown::Both);
        writing.join().expect("the writer thread ends");
        self.check_alive();
        response
    }

    /// Whether the server's log holds `text`.
    pub fn log_contains(&self, text: &str) -> bool {
        read_log(self.root.path()).contains(text)
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT).expect("connecting");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream
    }

    /// No request may bring the server down.
    fn check_alive(&self) {
        let log = read_log(self.root.path());
        assert!(!log.contains("panicked"), "the server panicked: {log}");
    }
}

/// A started `adgen serve`: its process, address and what a first start printed.
struct Started {
    child: ChildGuard,
    addr: SocketAddr,
    base_url: String,
    api_key: Option<String>,
    org: Option<Uuid>,
}

/// Starts `adgen serve --port 0` on `data_dir` (its log appended to `root/server.log`) and
/// waits (bounded) until it reports its address.
fn launch(root: &Path, data_dir: &Path, flags: &[&str]) -> Started {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("server.log"))
        .expect("opening the server log");
    let mut child = ChildGuard(
        Command::new(env!("CARGO_BIN_EXE_adgen"))
            .args(["serve", "--port", "0", "--data-dir", path_arg(data_dir)])
            .args(flags)
            // The offline template generator, whatever the caller's environment says.
            .env_remove("ADGEN_GENERATOR")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawning adgen serve"),
    );

    // Lines arrive on a channel so that waiting for them can time out; the thread keeps
    // draining stdout afterwards, so the server never blocks on a full pipe.
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let (mut api_key, mut org, mut seen) = (None, None, Vec::new());
    let base_url = loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = match lines.recv_timeout(wait) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "adgen serve did not report its address within {STARTUP_TIMEOUT:?}; stdout: {seen:#?}"
                )
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                "adgen serve exited ({:?}); stdout: {seen:#?}; log: {}",
                child.0.wait(),
                read_log(root)
            ),
        };
        if let Some(rest) = line.strip_prefix("First start: created a demo organisation ") {
            let id = rest.split_whitespace().next().unwrap_or_default();
            org = Some(Uuid::try_parse(id).expect("the demo organisation is a UUID"));
        } else if let Some(key) = line.trim().strip_prefix("export ADGEN_API_KEY=") {
            api_key = Some(key.to_owned());
        } else if let Some(rest) = line.strip_prefix("adgen serving ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        seen.push(line);
    };
    let addr: SocketAddr = base_url
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("serving line names no address: {base_url:?}"));
    assert_ne!(addr.port(), 0, "--port 0 must report the bound port");
    Started {
        child,
        addr,
        base_url,
        api_key,
        org,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- adgen serve log ---\n{}", read_log(self.root.path()));
        }
    }
}

fn read_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("server.log")).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Reading a response off the socket.

/// Reads one response: its head, then exactly the body the head announces, which must be a
/// content-length body (none for HEAD, 204 and 304). Reads no further than that, so it never
/// waits for the server to close. Returns the response and any bytes already read past it.
pub fn read_response(stream: &mut TcpStream, head_request: bool) -> (Response, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut fill = |buf: &mut Vec<u8>| {
        let n = stream.read(&mut chunk).expect("reading the response");
        assert!(
            n > 0,
            "the connection closed mid-response after {:?}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = loop {
        if let Some((head, _)) = http::parse_head(&buf) {
            break head;
        }
        fill(&mut buf);
    };
    assert_eq!(
        head.header("transfer-encoding"),
        None,
        "this client reads content-length bodies only"
    );
    if http::has_body(head.status, head_request) {
        head.content_length()
            .unwrap_or_else(|| panic!("no content-length: {head}"));
    }
    loop {
        if let Some((response, len)) = http::parse_partial(&buf, head_request, false) {
            return (response, buf.split_off(len));
        }
        fill(&mut buf);
    }
}
