//! The bad-server table (issue 3, cases 1-15), shared by the blocking and the async client tests.
//!
//! Each case is a scripted server, the requests to send, and what each one
//! must produce. The drivers (`run_blocking`, and `run_async` in the async
//! tests) run a case, check it, then prove the same client still works.

use std::time::Duration;

use corolab::http::{Error, Phase};

use super::server::{Step, send};

/// Client settings for one case (small timeouts: every case is bounded).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Longest silence.
    pub read_timeout: Duration,
    /// Whole-request bound.
    pub request_timeout: Duration,
    /// Head limit.
    pub max_head_bytes: usize,
    /// Header count limit.
    pub max_headers: usize,
    /// Body limit.
    pub max_body_bytes: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            connect_timeout: Duration::from_millis(300),
            read_timeout: Duration::from_millis(400),
            request_timeout: Duration::from_millis(1500),
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// What one request of a case must produce.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// A response with this status and body.
    Ok(u16, &'static [u8]),
    /// An error matching the predicate (the label names the expected variant).
    Fails(&'static str, fn(&Error) -> bool),
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Case {
    /// Test name.
    pub name: &'static str,
    /// Why the behaviour matters.
    pub why: &'static str,
    /// Server scripts: connection i runs scripts[i], the last one repeating.
    pub scripts: Vec<Vec<Step>>,
    /// Request method.
    pub method: &'static str,
    /// Request body.
    pub body: Vec<u8>,
    /// Client settings.
    pub settings: Settings,
    /// Pause between consecutive requests.
    pub pause: Duration,
    /// One entry per request, sent in order on the same client.
    pub expect: Vec<Expect>,
    /// How many connections the server must have accepted, if that is the point.
    pub accepted: Option<usize>,
}

impl Case {
    fn new(name: &'static str, why: &'static str, scripts: Vec<Vec<Step>>, expect: Expect) -> Case {
        Case {
            name,
            why,
            scripts,
            method: "GET",
            body: Vec::new(),
            settings: Settings::default(),
            pause: Duration::ZERO,
            expect: vec![expect],
            accepted: None,
        }
    }

    fn then(mut self, expect: Expect) -> Case {
        self.expect.push(expect);
        self
    }

    fn method(mut self, method: &'static str) -> Case {
        self.method = method;
        self
    }

    fn settings(mut self, settings: Settings) -> Case {
        self.settings = settings;
        self
    }

    fn pause_ms(mut self, ms: u64) -> Case {
        self.pause = Duration::from_millis(ms);
        self
    }

    fn accepted(mut self, count: usize) -> Case {
        self.accepted = Some(count);
        self
    }
}

macro_rules! fails {
    ($pattern:pat) => {
        Expect::Fails(stringify!($pattern), |e| matches!(e, $pattern))
    };
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const AGAIN: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain";

/// Read the request, answer with `bytes`, then close.
fn reply_then_close(bytes: &[u8]) -> Vec<Vec<Step>> {
    vec![vec![Step::ReadRequest, send(bytes), Step::Close]]
}

/// Read the request, answer with `bytes`, then keep the connection open.
fn reply_keep_open(bytes: &[u8]) -> Vec<Vec<Step>> {
    vec![vec![Step::ReadRequest, send(bytes), Step::WaitForClose]]
}

/// A head with `Content-Length` replaced by `value`.
fn with_content_length(value: &str) -> Vec<Vec<Step>> {
    let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\nok");
    reply_then_close(reply.as_bytes())
}

fn chunked(body: &[u8]) -> Vec<Vec<Step>> {
    let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    reply.extend_from_slice(body);
    reply_then_close(&reply)
}

/// 20 one-byte chunks, each with a 1000-byte extension (20 KB in all, over the 16 KiB cap).
fn endless_extensions() -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..20 {
        body.extend_from_slice(b"1;pad=");
        body.extend_from_slice(&[b'x'; 994]);
        body.extend_from_slice(b"\r\nx\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    body
}

fn with_header_line(line: &[u8]) -> Vec<Vec<Step>> {
    let mut reply = b"HTTP/1.1 200 OK\r\n".to_vec();
    reply.extend_from_slice(line);
    reply.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\nok");
    reply_then_close(&reply)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every case, in issue order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(status_line_cases());
    cases.extend(header_cases());
    cases.extend(length_cases());
    cases.extend(chunked_cases());
    cases.extend(bodiless_cases());
    cases.extend(timeout_cases());
    cases.extend(reuse_cases());
    cases
}

/// The case called `name` (panics if there is none: a test named after a missing case).
pub fn by_name(name: &str) -> Case {
    all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case named {name}"))
}

/// Cases 1, 2, 5: status line, HTTP/0.9, EOF in the head.
fn status_line_cases() -> Vec<Case> {
    vec![
        Case::new(
            "status_line_garbage",
            "a non-HTTP peer must not be taken for a server",
            reply_then_close(b"HELLO WORLD\r\n\r\n"),
            fails!(Error::InvalidStatusLine { .. }),
        ),
        Case::new(
            "status_code_two_digits",
            "the status code is exactly three digits",
            reply_then_close(b"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"),
            fails!(Error::InvalidStatusLine { .. }),
        ),
        Case::new(
            "status_code_four_digits",
            "a longer number is not a status code",
            reply_then_close(b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
            fails!(Error::InvalidStatusLine { .. }),
        ),
        Case::new(
            "reason_missing_accepted",
            "the reason phrase carries no meaning and may be absent",
            reply_then_close(b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"),
            Expect::Ok(200, b"ok"),
        ),
        Case::new(
            "reason_non_ascii_accepted",
            "servers send Latin-1 reasons; they must not break us",
            reply_then_close(b"HTTP/1.1 200 D\xe9j\xe0 vu\r\nContent-Length: 2\r\n\r\nok"),
            Expect::Ok(200, b"ok"),
        ),
        Case::new(
            "http09_reply",
            "a reply without a status line cannot be framed",
            reply_then_close(b"<html>old</html>"),
            fails!(Error::InvalidStatusLine { .. }),
        ),
        Case::new(
            "closed_mid_head",
            "a truncated head is an error, not a partial response",
            vec![vec![
                Step::ReadRequest,
                send(b"HTTP/1.1 200 OK\r\nContent-Le"),
                Step::Close,
            ]],
            fails!(Error::UnexpectedEof { received: 27 }),
        ),
        Case::new(
            "empty_reply",
            "a server that closes without a byte must be reported as such",
            vec![vec![Step::ReadRequest, Step::Close]],
            fails!(Error::UnexpectedEof { received: 0 }),
        ),
    ]
}

/// Cases 3 and 4: header grammar and head limits.
fn header_cases() -> Vec<Case> {
    let small_head = Settings {
        max_head_bytes: 1024,
        ..Settings::default()
    };
    let few_headers = Settings {
        max_headers: 10,
        ..Settings::default()
    };
    let mut eleven = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..11 {
        eleven.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    eleven.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let mut big_head = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    big_head.extend(std::iter::repeat_n(b'a', 2000));
    big_head.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let mut endless = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..20_000 {
        endless.extend_from_slice(format!("X-Fill-{i}: more\r\n").as_bytes());
    }
    vec![
        Case::new(
            "bare_lf_accepted",
            "many small servers end lines with LF only",
            reply_then_close(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
            Expect::Ok(200, b"ok"),
        ),
        Case::new(
            "obs_fold_accepted",
            "RFC 9112 §5.2: a user agent replaces obs-fold with SP instead of refusing the response",
            with_header_line(b"X-Folded: a\r\n  b"),
            Expect::Ok(200, b"ok"),
        ),
        Case::new(
            "header_without_colon",
            "a line that is not name: value cannot be trusted",
            with_header_line(b"NoColonHere"),
            fails!(Error::InvalidHeader { .. }),
        ),
        Case::new(
            "space_before_colon",
            "RFC 9112 forbids it: it enables header smuggling",
            with_header_line(b"X-Name : v"),
            fails!(Error::InvalidHeader { .. }),
        ),
        Case::new(
            "nul_in_header",
            "NUL bytes in a header are an attack, not data",
            with_header_line(b"X-Name: a\0b"),
            fails!(Error::InvalidHeader { .. }),
        ),
        Case::new(
            "control_byte_in_header",
            "control bytes in a header value are refused",
            with_header_line(b"X-Name: a\x07b"),
            fails!(Error::InvalidHeader { .. }),
        ),
        Case::new(
            "too_many_headers",
            "the header count is bounded",
            reply_then_close(&eleven),
            fails!(Error::TooManyHeaders { limit: 10 }),
        )
        .settings(few_headers),
        Case::new(
            "head_over_limit",
            "the head size is bounded",
            reply_then_close(&big_head),
            fails!(Error::HeadTooLarge { limit: 1024 }),
        )
        .settings(small_head),
        Case::new(
            "endless_head",
            "a head that never ends stops at the limit, not at memory exhaustion",
            vec![vec![Step::ReadRequest, Step::Send(endless), Step::WaitForClose]],
            fails!(Error::HeadTooLarge { limit: 1024 }),
        )
        .settings(small_head),
    ]
}

/// Cases 6, 7, 8, 10, 11: Content-Length and Transfer-Encoding framing.
fn length_cases() -> Vec<Case> {
    vec![
        Case::new("content_length_plus", "Content-Length is plain digits; a sign is not",
            with_content_length("+2"), fails!(Error::InvalidContentLength { .. })),
        Case::new("content_length_minus", "a negative length is not a length",
            with_content_length("-6"), fails!(Error::InvalidContentLength { .. })),
        Case::new("content_length_garbage", "a non-number must not silently become 0",
            with_content_length("crap"), fails!(Error::InvalidContentLength { .. })),
        Case::new("content_length_overflow", "a length beyond u64 must not wrap around",
            with_content_length("18446744073709551616"), fails!(Error::InvalidContentLength { .. })),
        Case::new("content_length_conflicting", "two different lengths make the framing ambiguous",
            reply_then_close(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"),
            fails!(Error::ConflictingContentLength { first: 2, second: 3 })),
        Case::new("content_length_duplicates_equal", "equal duplicates are harmless (RFC 9110 §8.6)",
            reply_then_close(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok"),
            Expect::Ok(200, b"ok")),
        Case::new("chunked_and_content_length", "both framings at once is the request-smuggling shape; we reject it",
            reply_then_close(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
            fails!(Error::ConflictingFraming)),
        Case::new("transfer_encoding_not_chunked_last", "without chunked last the body end is unknown",
            reply_then_close(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxx"),
            fails!(Error::UnsupportedTransferEncoding { .. })),
        Case::new("transfer_encoding_gzip", "we decode no codings, so we do not pretend to",
            reply_then_close(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx"),
            fails!(Error::UnsupportedTransferEncoding { .. })),
        Case::new("eof_before_content_length", "a short body is an error, not a short success",
            reply_then_close(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
            fails!(Error::IncompleteBody { received: 5, expected: Some(10) })),
        Case::new("body_longer_than_content_length", "extra bytes must never become the next response",
            vec![
                vec![Step::ReadRequest, send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), Step::WaitForClose],
                vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
            ],
            Expect::Ok(200, b"ok")).then(Expect::Ok(200, b"again")).accepted(2),
        Case::new("late_extra_bytes_discarded_at_checkout", "bytes arriving on an idle connection mean it is unusable",
            vec![
                vec![Step::ReadRequest, send(OK), Step::Sleep(ms(30)), send(b"EXTRA"), Step::WaitForClose],
                vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
            ],
            Expect::Ok(200, b"ok")).then(Expect::Ok(200, b"again")).pause_ms(150).accepted(2),
        Case::new("body_until_eof", "no length and no chunking: the body ends at EOF and the connection is spent",
            reply_then_close(b"HTTP/1.1 200 OK\r\n\r\nuntil close"),
            Expect::Ok(200, b"until close")).then(Expect::Ok(200, b"until close")).accepted(2),
    ]
}

/// Case 9: chunked bodies.
fn chunked_cases() -> Vec<Case> {
    let small_head = Settings {
        max_head_bytes: 1024,
        ..Settings::default()
    };
    let mut big_trailers = b"2\r\nok\r\n0\r\n".to_vec();
    for i in 0..100 {
        big_trailers.extend_from_slice(format!("X-Trailer-{i}: some value\r\n").as_bytes());
    }
    big_trailers.extend_from_slice(b"\r\n");
    vec![
        Case::new(
            "chunk_size_not_hex",
            "a chunk size must be hex",
            chunked(b"zz\r\nok\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_size_overflow",
            "a chunk size beyond u64 must not wrap around",
            chunked(b"1ffffffffffffffff\r\nok\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_missing_crlf",
            "data must be followed by CRLF, or the sizes are out of step",
            chunked(b"2\r\nokXX0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_bare_lf_after_data",
            "a bare LF is not the CRLF that must end chunk data (only header lines may use bare LF)",
            chunked(b"2\r\nok\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_size_line_empty",
            "httparse reads an empty size line as 0: the body would end early and the rest become the next response",
            chunked(b"5\r\nhello\r\n\r\n5\r\nworld\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_size_line_only_extension",
            "a size line needs at least one hex digit (RFC 9112 §7.1)",
            chunked(b"2\r\nok\r\n;ext\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_extension_bare_lf",
            "a bare LF inside an extension is where two parsers split the line differently",
            chunked(b"2;a\nb\r\nok\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_extension_without_name",
            "an extension is name [= value]; a bare '=' is not one",
            chunked(b"2;=x\r\nok\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_extension_unclosed_quote",
            "a quoted extension value must end with its quote on the same line",
            chunked(b"2;a=\"x\r\nok\r\n0\r\n\r\n"),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunk_extensions_over_16_kib",
            "extensions carry nothing and the body limit counts data only, so their total is capped",
            chunked(&endless_extensions()),
            fails!(Error::InvalidChunk { .. }),
        ),
        Case::new(
            "chunked_eof_before_last_chunk",
            "without the zero chunk the body is incomplete",
            chunked(b"2\r\nok\r\n"),
            fails!(Error::IncompleteBody {
                received: 2,
                expected: None
            }),
        ),
        Case::new(
            "chunk_extensions_ignored",
            "extensions are legal and meaningless to us",
            chunked(b"1;name=value\r\no\r\n1 ; x=\"y\"\r\nk\r\n0;last\r\n\r\n"),
            Expect::Ok(200, b"ok"),
        ),
        Case::new(
            "chunked_trailers_dropped",
            "trailers are read (to find the end) and dropped",
            chunked(b"2\r\nok\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n"),
            Expect::Ok(200, b"ok"),
        ),
        Case::new(
            "chunked_trailers_too_large",
            "the trailer section is bounded like a head",
            chunked(&big_trailers),
            fails!(Error::TrailersTooLarge { limit: 1024 }),
        )
        .settings(small_head),
    ]
}

/// Case 12: responses without a body, and interim responses.
fn bodiless_cases() -> Vec<Case> {
    let head_reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    vec![
        Case::new("head_request_has_no_body", "HEAD responses announce a length they never send",
            vec![vec![Step::ReadRequest, send(head_reply), Step::ReadRequest, send(head_reply), Step::WaitForClose]],
            Expect::Ok(200, b"")).then(Expect::Ok(200, b"")).method("HEAD").accepted(1),
        Case::new("status_204_has_no_body", "204 has no body whatever its headers say",
            vec![vec![Step::ReadRequest, send(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
                      Step::ReadRequest, send(OK), Step::WaitForClose]],
            Expect::Ok(204, b"")).then(Expect::Ok(200, b"ok")).accepted(1),
        Case::new("status_304_has_no_body", "304 has no body whatever its headers say",
            vec![vec![Step::ReadRequest, send(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"),
                      Step::ReadRequest, send(OK), Step::WaitForClose]],
            Expect::Ok(304, b"")).then(Expect::Ok(200, b"ok")).accepted(1),
        Case::new("interim_1xx_skipped", "100 Continue and 103 Early Hints come before the real response",
            reply_keep_open(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Expect::Ok(200, b"ok")),
    ]
}

/// Cases 13 and 14: timeouts, resets, and the body limit.
fn timeout_cases() -> Vec<Case> {
    let quick_read = Settings {
        read_timeout: ms(200),
        ..Settings::default()
    };
    let drip = Settings {
        read_timeout: ms(400),
        request_timeout: ms(700),
        ..Settings::default()
    };
    let small_body = Settings {
        max_body_bytes: 1024,
        ..Settings::default()
    };
    let filler = vec![b'a'; 2048];
    let mut over_by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    over_by_length.extend_from_slice(&filler);
    let mut over_by_chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n".to_vec();
    over_by_chunk.extend_from_slice(&filler);
    let mut over_until_eof = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
    over_until_eof.extend_from_slice(&filler);
    let silent_after =
        |bytes: Vec<u8>| vec![vec![Step::ReadRequest, Step::Send(bytes), Step::Sleep(ms(3000))]];
    let mut never_reads = Case::new(
        "server_never_reads_body",
        "a server that stops reading must not block a write forever",
        vec![vec![Step::Sleep(ms(3000))]],
        fails!(Error::Timeout(Phase::Write) | Error::Timeout(Phase::Total)),
    )
    .method("POST")
    .settings(quick_read);
    never_reads.body = vec![b'x'; 32 * 1024 * 1024];
    let too_big = b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 7\r\n\r\ntoo big";
    let mut early_answer = Case::new(
        "early_response_then_reset",
        "a server refusing an upload answers before reading it, then resets; the answer is what the user needs",
        vec![vec![Step::ReadHead, send(too_big), Step::Sleep(ms(20)), Step::Reset]],
        Expect::Ok(413, b"too big"),
    )
    .method("POST");
    early_answer.body = vec![b'x'; 8 * 1024 * 1024];
    vec![
        Case::new(
            "server_never_answers",
            "the default in most clients is to hang forever; ours is a read timeout",
            vec![vec![Step::ReadRequest, Step::Sleep(ms(3000))]],
            fails!(Error::Timeout(Phase::Read)),
        )
        .settings(quick_read),
        Case::new(
            "server_drips_slowly",
            "one byte per 200 ms never trips the read timeout; the request timeout stops it",
            vec![vec![Step::ReadRequest, Step::Drip(OK.to_vec(), ms(200))]],
            fails!(Error::Timeout(Phase::Total)),
        )
        .settings(drip),
        never_reads,
        early_answer,
        Case::new(
            "connection_reset",
            "an RST is reported as a reset, not as EOF or a hang",
            vec![vec![Step::ReadRequest, Step::Reset]],
            fails!(Error::ConnectionReset { .. }),
        ),
        Case::new(
            "reset_mid_body",
            "an RST in the middle of the body is an error",
            vec![vec![
                Step::ReadRequest,
                send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
                Step::Sleep(ms(20)),
                Step::Reset,
            ]],
            fails!(Error::ConnectionReset { .. } | Error::IncompleteBody { .. }),
        ),
        Case::new(
            "body_over_limit_by_content_length",
            "an announced oversize body is refused before reading it",
            silent_after(over_by_length),
            fails!(Error::BodyTooLarge { limit: 1024 }),
        )
        .settings(small_body),
        Case::new(
            "body_over_limit_by_chunk_size",
            "an oversize chunk is refused at its size line",
            silent_after(over_by_chunk),
            fails!(Error::BodyTooLarge { limit: 1024 }),
        )
        .settings(small_body),
        Case::new(
            "body_over_limit_until_eof",
            "an unframed body is cut off at the limit, not at EOF",
            silent_after(over_until_eof),
            fails!(Error::BodyTooLarge { limit: 1024 }),
        )
        .settings(small_body),
    ]
}

/// Case 15 and the keep-alive rules: what is reused, what is retried.
fn reuse_cases() -> Vec<Case> {
    let close_in_list = b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok";
    vec![
        Case::new(
            "keep_alive_reused",
            "the positive control: two requests, one connection",
            vec![vec![
                Step::ReadRequest,
                send(OK),
                Step::ReadRequest,
                send(AGAIN),
                Step::WaitForClose,
            ]],
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"again"))
        .accepted(1),
        Case::new(
            "connection_close_in_list_not_reused",
            "close anywhere in the Connection list ends the connection",
            reply_keep_open(close_in_list),
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"ok"))
        .accepted(2),
        Case::new(
            "http10_without_keep_alive_not_reused",
            "HTTP/1.0 closes by default",
            reply_keep_open(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"ok"))
        .accepted(2),
        Case::new(
            "http10_transfer_encoding_not_reused",
            "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 response is faulty framing, close after it (keep-alive or not)",
            reply_keep_open(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"ok"))
        .accepted(2),
        Case::new(
            "pooled_connection_closed_between_requests",
            "a server closing an idle connection must not fail the next request",
            vec![
                vec![Step::ReadRequest, send(OK), Step::Sleep(ms(20)), Step::Close],
                vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
            ],
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"again"))
        .pause_ms(150)
        .accepted(2),
        Case::new(
            "closed_idle_connection_discarded_at_checkout",
            "POST is never retried, so only the checkout test can save it",
            vec![
                vec![Step::ReadRequest, send(OK), Step::Sleep(ms(20)), Step::Close],
                vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
            ],
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"again"))
        .method("POST")
        .pause_ms(150)
        .accepted(2),
        Case::new(
            "reused_connection_dead_is_retried_once",
            "the close raced our request: an idempotent request is retried on a fresh connection",
            vec![
                vec![Step::ReadRequest, send(OK), Step::ReadRequest, Step::Close],
                vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
            ],
            Expect::Ok(200, b"ok"),
        )
        .then(Expect::Ok(200, b"again"))
        .accepted(2),
        Case::new(
            "retry_happens_only_once",
            "a retry that fails again is reported, never retried again",
            vec![
                vec![Step::ReadRequest, send(OK), Step::ReadRequest, Step::Close],
                vec![Step::ReadRequest, Step::Close],
            ],
            Expect::Ok(200, b"ok"),
        )
        .then(fails!(Error::UnexpectedEof { received: 0 }))
        .accepted(2),
        Case::new(
            "post_is_not_retried",
            "a POST may have been processed; sending it twice is not ours to decide",
            vec![vec![Step::ReadRequest, send(OK), Step::ReadRequest, Step::Close]],
            Expect::Ok(200, b"ok"),
        )
        .then(fails!(Error::UnexpectedEof { received: 0 }))
        .method("POST")
        .accepted(1),
        Case::new(
            "partial_answer_then_reset_is_not_retried",
            "bytes of an answer arrived, so the server acted on the request: a reset now is reported, not retried",
            vec![
                vec![
                    Step::ReadRequest,
                    send(OK),
                    Step::ReadRequest,
                    send(b"HTTP/1.1 200 OK\r\nContent-Le"),
                    Step::Reset,
                ],
                vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
            ],
            Expect::Ok(200, b"ok"),
        )
        .then(fails!(Error::ConnectionReset { .. }))
        .accepted(1),
    ]
}
