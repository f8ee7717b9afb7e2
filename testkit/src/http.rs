//! HTTP/1.1 responses as tests read them off a socket, and a plain client for loopback URLs
//! (presigned emulator URLs, `adgen serve`).
//!
//! This is the one response parser of the tests: the async [`get`] here uses it, and so does
//! the blocking client of `local/tests` (arbitrary methods, HEAD, raw request targets). It is
//! strict on purpose, so that a test sees what the server really sent: an `HTTP/1.1` status
//! line, a UTF-8 head of `name: value` lines, and a body framed as RFC 9112 §6.3 says (none
//! for HEAD, 1xx, 204 and 304; then chunked; then content-length; else up to the close).

use std::fmt;

use serde_json::Value;

/// One response. Header names are in lower case, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (lower case), if sent; a header sent twice panics.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self.headers.iter().filter(|(n, _)| n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "{name} sent twice: {self}");
        first
    }

    /// The content-length header as a number; one that is not a number panics.
    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length").map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("content-length {v:?} is not a number"))
        })
    }

    /// The body as JSON; a body that is not JSON panics.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {self}"))
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?} ", self.status, self.headers)?;
        match std::str::from_utf8(&self.body) {
            Ok(text) if text.len() <= 2000 => write!(f, "{text}"),
            _ => write!(f, "<{} bytes>", self.body.len()),
        }
    }
}

/// Whether a response with `status`, answering a HEAD request or not, has a body at all.
pub fn has_body(status: u16, head_request: bool) -> bool {
    !(head_request || matches!(status, 100..=199 | 204 | 304))
}

/// The head at the start of `raw` (the bytes read so far), once all of it has arrived: the
/// response without its body, and the head's length in bytes, its blank line included.
pub fn parse_head(raw: &[u8]) -> Option<(Response, usize)> {
    let end = find(raw, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).expect("the response head is UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .map(|line| {
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {line:?}"));
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let head = Response {
        status,
        headers,
        body: Vec::new(),
    };
    Some((head, end + 4))
}

/// The response at the start of `raw` (the bytes read so far), once all of it has arrived:
/// the response and its length in bytes, so that `raw[len..]` is what followed it. `closed`
/// says that nothing more will arrive, which completes a body delimited by the close.
pub fn parse_partial(raw: &[u8], head_request: bool, closed: bool) -> Option<(Response, usize)> {
    let (mut response, head_len) = parse_head(raw)?;
    let rest = &raw[head_len..];
    let (body, body_len) = if !has_body(response.status, head_request) {
        (Vec::new(), 0)
    } else if let Some(coding) = response.header("transfer-encoding") {
        let last = coding.rsplit(',').next().unwrap_or_default().trim();
        assert!(
            last.eq_ignore_ascii_case("chunked"),
            "unsupported transfer-encoding {coding:?}"
        );
        dechunk(rest)?
    } else if let Some(len) = response.content_length() {
        (rest.get(..len)?.to_vec(), len)
    } else if closed {
        (rest.to_vec(), rest.len())
    } else {
        return None;
    };
    response.body = body;
    Some((response, head_len + body_len))
}

/// Parses everything a connection carried, read to its close, as one response (the answer to
/// a HEAD request if `head_request`). Panics if the response is cut short or followed by
/// more bytes.
pub fn parse_response(raw: &[u8], head_request: bool) -> Response {
    let (response, len) = parse_partial(raw, head_request, true).unwrap_or_else(|| {
        panic!(
            "the connection closed mid-response after {:?}",
            String::from_utf8_lossy(raw)
        )
    });
    assert_eq!(
        len,
        raw.len(),
        "{} bytes after the response: {response}",
        raw.len() - len
    );
    response
}

/// A chunked body at the start of `data`, once all of it has arrived (through its last chunk
/// and its trailer section): the decoded body and the encoded length.
fn dechunk(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + find(&data[at..], b"\r\n")?;
        let line = String::from_utf8_lossy(&data[at..line_end]);
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .unwrap_or_else(|_| panic!("bad chunk size line {line:?}"));
        at = line_end + 2;
        if size == 0 {
            break;
        }
        body.extend_from_slice(data.get(at..at + size)?);
        at += size;
        let end = data.get(at..at + 2)?;
        assert_eq!(end, b"\r\n", "a chunk ends with CRLF");
        at += 2;
    }
    // The trailer section: field lines up to an empty one.
    loop {
        let line_end = at + find(&data[at..], b"\r\n")?;
        let empty = line_end == at;
        at = line_end + 2;
        if empty {
            return Some((body, at));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A plain HTTP/1.1 GET over loopback (presigned emulator URLs, `adgen serve`): status,
/// headers (names in lower case, in arrival order), body.
pub async fn get(url: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    send("GET", url, &[], &[]).await
}

/// `PUT url` with a `Content-Type` and a body (an upload to a presigned URL).
pub async fn put(
    url: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    send("PUT", url, &[("Content-Type", content_type)], body).await
}

/// One request to an `http://` URL on a fresh connection, read to the close.
async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let Response {
        status,
        headers,
        body,
    } = parse_response(&raw, false);
    (status, headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";

    #[test]
    fn content_length_bodies_end_where_announced() {
        let raw = format!("{HEAD}Content-Length: 5\r\n\r\nhello");
        let response = parse_response(raw.as_bytes(), false);
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("text/plain"));
        assert_eq!(response.body, b"hello");
        // Incomplete until every announced byte is there, whatever follows after.
        assert!(parse_partial(&raw.as_bytes()[..raw.len() - 1], false, false).is_none());
        let more = format!("{raw}HTTP/1.1");
        let (_, len) = parse_partial(more.as_bytes(), false, false).expect("complete");
        assert_eq!(len, raw.len());
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        let raw = format!(
            "{HEAD}Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n"
        );
        assert_eq!(parse_response(raw.as_bytes(), false).body, b"hello world");
        for cut in [raw.len() - 1, raw.len() - 5, raw.len() - 20] {
            assert!(parse_partial(&raw.as_bytes()[..cut], false, false).is_none());
        }
    }

    #[test]
    fn bodiless_answers_and_bodies_up_to_the_close() {
        let raw = format!("{HEAD}Content-Length: 5\r\n\r\n");
        assert!(parse_response(raw.as_bytes(), true).body.is_empty());
        let raw = "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n";
        assert!(parse_response(raw.as_bytes(), false).body.is_empty());
        let raw = format!("{HEAD}\r\nto the end");
        assert!(parse_partial(raw.as_bytes(), false, false).is_none());
        assert_eq!(parse_response(raw.as_bytes(), false).body, b"to the end");
    }

    #[test]
    #[should_panic(expected = "bytes after the response")]
    fn a_whole_response_has_nothing_after_it() {
        let raw = format!("{HEAD}Content-Length: 2\r\n\r\nhi!");
        parse_response(raw.as_bytes(), false);
    }
}
