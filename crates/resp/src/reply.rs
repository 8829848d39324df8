//! The reply writer: RESP2 or RESP3 written straight into a connection's output buffer.

use crate::{format_double, ErrorReply};

/// The protocol a client speaks, chosen with `HELLO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Proto {
    /// RESP2, the default.
    #[default]
    Resp2,
    /// RESP3 (`HELLO 3`).
    Resp3,
}

/// A position in the output where an aggregate's length will be written once known
/// (Redis's `addReplyDeferredLen`).
#[derive(Debug)]
#[must_use = "a deferred length must be completed with Reply::set_deferred_*"]
pub struct Deferred {
    at: usize,
}

/// Writes replies into `out` in the client's protocol. Every method appends one whole RESP value
/// (or, for `*_len`, one aggregate header whose elements follow).
#[derive(Debug)]
pub struct Reply<'a> {
    out: &'a mut Vec<u8>,
    proto: Proto,
}

impl<'a> Reply<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>, proto: Proto) -> Self {
        Reply { out, proto }
    }

    /// The client's protocol.
    pub fn proto(&self) -> Proto {
        self.proto
    }

    /// Bytes written to the buffer so far (including what was there before).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// `+OK`
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// `+<text>`; the text must not contain CR or LF.
    pub fn simple(&mut self, text: &[u8]) {
        debug_assert!(!text.contains(&b'\r') && !text.contains(&b'\n'));
        self.out.push(b'+');
        self.out.extend_from_slice(text);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `-<error text>`.
    pub fn error(&mut self, err: &ErrorReply) {
        self.out.push(b'-');
        let start = self.out.len();
        err.write_text(self.out);
        // A reply line must stay one line whatever the text held (Redis does the same).
        for b in &mut self.out[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.out.extend_from_slice(b"\r\n");
    }

    /// `:<n>`
    pub fn int(&mut self, n: i64) {
        self.out.push(b':');
        self.push_i64(n);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `$<len>\r\n<bytes>`
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.out.push(b'$');
        self.push_i64(bytes.len() as i64);
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(bytes);
        self.out.extend_from_slice(b"\r\n");
    }

    /// A bulk string of the decimal text of `n` (what GET of an integer-encoded value returns).
    pub fn bulk_i64(&mut self, n: i64) {
        let mut buf = itoa_buf(n);
        let (digits, len) = buf.digits();
        self.out.push(b'$');
        self.push_i64(len as i64);
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(digits);
        self.out.extend_from_slice(b"\r\n");
        let _ = &mut buf;
    }

    /// Null: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.proto {
            Proto::Resp2 => self.out.extend_from_slice(b"$-1\r\n"),
            Proto::Resp3 => self.out.extend_from_slice(b"_\r\n"),
        }
    }

    /// Null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        match self.proto {
            Proto::Resp2 => self.out.extend_from_slice(b"*-1\r\n"),
            Proto::Resp3 => self.out.extend_from_slice(b"_\r\n"),
        }
    }

    /// Array header: `*<n>`.
    pub fn array_len(&mut self, n: usize) {
        self.agg_header(b'*', n);
    }

    /// Map header of `n` pairs: `%<n>` in RESP3, `*<2n>` in RESP2.
    pub fn map_len(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.agg_header(b'*', n * 2),
            Proto::Resp3 => self.agg_header(b'%', n),
        }
    }

    /// Set header: `~<n>` in RESP3, `*<n>` in RESP2.
    pub fn set_len(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.agg_header(b'*', n),
            Proto::Resp3 => self.agg_header(b'~', n),
        }
    }

    /// Push header: `><n>` in RESP3, `*<n>` in RESP2 (pub/sub messages).
    pub fn push_len(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.agg_header(b'*', n),
            Proto::Resp3 => self.agg_header(b'>', n),
        }
    }

    /// A double: `,<%.17g>` in RESP3, a bulk string of the same text in RESP2.
    pub fn double(&mut self, v: f64) {
        let mut text = Vec::with_capacity(24);
        format_double(v, &mut text);
        match self.proto {
            Proto::Resp2 => self.bulk(&text),
            Proto::Resp3 => {
                self.out.push(b',');
                self.out.extend_from_slice(&text);
                self.out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        match self.proto {
            Proto::Resp2 => self.int(v as i64),
            Proto::Resp3 => self
                .out
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// Verbatim text (`=<len>\r\ntxt:<bytes>` in RESP3, a bulk string in RESP2), as INFO and
    /// CLIENT LIST reply.
    pub fn verbatim(&mut self, format: &[u8; 3], bytes: &[u8]) {
        match self.proto {
            Proto::Resp2 => self.bulk(bytes),
            Proto::Resp3 => {
                self.out.push(b'=');
                self.push_i64(bytes.len() as i64 + 4);
                self.out.extend_from_slice(b"\r\n");
                self.out.extend_from_slice(format);
                self.out.push(b':');
                self.out.extend_from_slice(bytes);
                self.out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Bytes already in RESP form, appended as they are (pre-encoded replies).
    pub fn raw(&mut self, resp: &[u8]) {
        self.out.extend_from_slice(resp);
    }

    /// Start an array whose length is known only after its elements are written.
    pub fn deferred_array(&mut self) -> Deferred {
        Deferred { at: self.out.len() }
    }

    /// Complete a deferred array of `n` elements.
    pub fn set_deferred_array(&mut self, d: Deferred, n: usize) {
        self.insert_header(d, b'*', n);
    }

    /// Complete a deferred map of `n` pairs (`*<2n>` in RESP2).
    pub fn set_deferred_map(&mut self, d: Deferred, n: usize) {
        match self.proto {
            Proto::Resp2 => self.insert_header(d, b'*', n * 2),
            Proto::Resp3 => self.insert_header(d, b'%', n),
        }
    }

    /// Complete a deferred set of `n` elements (`*<n>` in RESP2).
    pub fn set_deferred_set(&mut self, d: Deferred, n: usize) {
        match self.proto {
            Proto::Resp2 => self.insert_header(d, b'*', n),
            Proto::Resp3 => self.insert_header(d, b'~', n),
        }
    }

    fn insert_header(&mut self, d: Deferred, kind: u8, n: usize) {
        let mut header = Vec::with_capacity(16);
        header.push(kind);
        let mut buf = itoa_buf(n as i64);
        header.extend_from_slice(buf.digits().0);
        header.extend_from_slice(b"\r\n");
        self.out.splice(d.at..d.at, header);
    }

    fn agg_header(&mut self, kind: u8, n: usize) {
        self.out.push(kind);
        self.push_i64(n as i64);
        self.out.extend_from_slice(b"\r\n");
    }

    fn push_i64(&mut self, n: i64) {
        let mut buf = itoa_buf(n);
        self.out.extend_from_slice(buf.digits().0);
    }
}

/// Decimal digits of an i64 on the stack (no allocation on the hot path).
pub(crate) struct ItoaBuf {
    buf: [u8; 20],
    start: usize,
}

impl ItoaBuf {
    pub(crate) fn digits(&mut self) -> (&[u8], usize) {
        (&self.buf[self.start..], 20 - self.start)
    }
}

pub(crate) fn itoa_buf(n: i64) -> ItoaBuf {
    let mut buf = [0u8; 20];
    let mut i = 20;
    let neg = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    ItoaBuf { buf, start: i }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(proto: Proto, f: impl FnOnce(&mut Reply<'_>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut Reply::new(&mut out, proto));
        out
    }

    #[test]
    fn basic_values() {
        assert_eq!(
            w(Proto::Resp2, |r| r.int(i64::MIN)),
            b":-9223372036854775808\r\n"
        );
        assert_eq!(w(Proto::Resp2, |r| r.bulk(b"hi")), b"$2\r\nhi\r\n");
        assert_eq!(w(Proto::Resp2, |r| r.bulk_i64(-42)), b"$3\r\n-42\r\n");
        assert_eq!(w(Proto::Resp3, |r| r.null()), b"_\r\n");
        assert_eq!(w(Proto::Resp2, |r| r.map_len(2)), b"*4\r\n");
        assert_eq!(w(Proto::Resp3, |r| r.double(1.5)), b",1.5\r\n");
        assert_eq!(
            w(Proto::Resp2, |r| r.error(&ErrorReply::Syntax)),
            b"-ERR syntax error\r\n"
        );
    }

    #[test]
    fn deferred_length_is_inserted_before_elements() {
        let out = w(Proto::Resp2, |r| {
            let d = r.deferred_array();
            r.int(1);
            r.int(2);
            r.set_deferred_array(d, 2);
        });
        assert_eq!(out, b"*2\r\n:1\r\n:2\r\n");
    }
}
