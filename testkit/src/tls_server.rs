//! A tiny HTTP/1.1 server on 127.0.0.1 for the outbound clients' tests, plain or TLS.
//!
//! Hand-written rather than hyper so a test can shape the bytes on the wire exactly: no
//! Content-Length, a Content-Length that lies, a body that stalls half-way. One request per
//! connection (`connection: close`); every request is recorded for assertions.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What the server sends back, and how.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    repeat: usize,
    content_length: bool,
    delay: Duration,
    stall: Duration,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            repeat: 1,
            content_length: true,
            delay: Duration::ZERO,
            stall: Duration::ZERO,
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status, value.to_string()).header("content-type", "application/json")
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sends the body `times` times over (for large bodies without a large buffer).
    pub fn repeat(mut self, times: usize) -> Self {
        self.repeat = times;
        self
    }

    /// No Content-Length: the body ends when the connection closes.
    pub fn without_length(mut self) -> Self {
        self.content_length = false;
        self
    }

    /// Waits this long before sending anything.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Waits this long after the first copy of the body (a server that stalls mid-body).
    pub fn stall(mut self, stall: Duration) -> Self {
        self.stall = stall;
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    accept_loop: JoinHandle<()>,
}

impl TestServer {
    pub async fn plain(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        Self::start(None, Arc::new(handler)).await
    }

    pub async fn tls(
        acceptor: TlsAcceptor,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start(Some(acceptor), Arc::new(handler)).await
    }

    async fn start(tls: Option<TlsAcceptor>, handler: Arc<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (tls, handler, recorded) = (tls.clone(), handler.clone(), recorded.clone());
                tokio::spawn(async move {
                    // A client that gives up mid-way (as the tests make it) is not an error here.
                    let _ = match tls {
                        Some(acceptor) => match acceptor.accept(tcp).await {
                            Ok(stream) => serve(stream, &*handler, &recorded).await,
                            Err(e) => Err(e),
                        },
                        None => serve(tcp, &*handler, &recorded).await,
                    };
                });
            }
        });
        Self {
            addr,
            requests,
            accept_loop,
        }
    }

    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    handler: &Handler,
    recorded: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    let request = read_request(&mut stream).await?;
    recorded
        .lock()
        .expect("requests lock")
        .push(request.clone());
    let reply = handler(&request);
    tokio::time::sleep(reply.delay).await;
    let mut head = format!("HTTP/1.1 {} X\r\nconnection: close\r\n", reply.status);
    if reply.content_length {
        head += &format!("content-length: {}\r\n", reply.body.len() * reply.repeat);
    }
    for (name, value) in &reply.headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += "\r\n";
    stream.write_all(head.as_bytes()).await?;
    for i in 0..reply.repeat {
        stream.write_all(&reply.body).await?;
        if i == 0 {
            stream.flush().await?;
            tokio::time::sleep(reply.stall).await;
        }
    }
    stream.shutdown().await
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Request> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > 64 * 1024 {
            return Err(bad("request head too long"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed before the request head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut request = Request {
        method,
        path,
        headers,
        body: buf[head_end + 4..].to_vec(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while request.body.len() < length {
        let mut chunk = vec![0u8; length - request.body.len()];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed inside the request body"));
        }
        request.body.extend_from_slice(&chunk[..n]);
    }
    Ok(request)
}
