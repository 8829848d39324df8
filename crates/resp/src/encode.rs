//! The frame encoder: a [`Frame`] back to RESP bytes.

use crate::reply::itoa_buf;
use crate::{format_double, Frame};

/// Append the RESP encoding of `frame` to `out`.
///
/// For every frame [`decode`](crate::decode) returns, this writes back the bytes it was decoded
/// from, except doubles, which are written as Redis writes them (`%.17g`, `inf`, `-inf`,
/// `nan`). A simple string or error must not hold CR or LF; if one does, each is written as a
/// space (as Redis does for error replies) so the output stays well-formed RESP.
pub fn encode(frame: &Frame, out: &mut Vec<u8>) {
    match frame {
        Frame::Simple(text) => line(out, b'+', text),
        Frame::Error(text) => line(out, b'-', text),
        Frame::Integer(n) => {
            out.push(b':');
            int(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Bulk(bytes) => blob(out, b'$', None, bytes),
        Frame::BulkError(bytes) => blob(out, b'!', None, bytes),
        Frame::Verbatim { format, text } => blob(out, b'=', Some(format), text),
        Frame::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Double(v) => {
            out.push(b',');
            format_double(*v, out);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Boolean(v) => out.extend_from_slice(if *v { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::BigNumber(digits) => line(out, b'(', digits),
        Frame::Array(items) => aggregate(out, b'*', items),
        Frame::Set(items) => aggregate(out, b'~', items),
        Frame::Push(items) => aggregate(out, b'>', items),
        Frame::Map(pairs) => map(out, b'%', pairs),
        Frame::Attribute { attrs, data } => {
            map(out, b'|', attrs);
            encode(data, out);
        }
    }
}

fn int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa_buf(n).digits().0);
}

fn header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    int(out, n as i64);
    out.extend_from_slice(b"\r\n");
}

fn line(out: &mut Vec<u8>, kind: u8, text: &[u8]) {
    out.push(kind);
    let start = out.len();
    out.extend_from_slice(text);
    for b in &mut out[start..] {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    out.extend_from_slice(b"\r\n");
}

fn blob(out: &mut Vec<u8>, kind: u8, format: Option<&[u8; 3]>, bytes: &[u8]) {
    header(
        out,
        kind,
        bytes.len() + if format.is_some() { 4 } else { 0 },
    );
    if let Some(format) = format {
        out.extend_from_slice(format);
        out.push(b':');
    }
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

fn aggregate(out: &mut Vec<u8>, kind: u8, items: &[Frame]) {
    header(out, kind, items.len());
    for item in items {
        encode(item, out);
    }
}

fn map(out: &mut Vec<u8>, kind: u8, pairs: &[(Frame, Frame)]) {
    header(out, kind, pairs.len());
    for (k, v) in pairs {
        encode(k, out);
        encode(v, out);
    }
}
