//! One RESP value's header: its type byte and line, interpreted and checked against limits.
//! Shared by the decoder's scan pass (which validates) and build pass (which trusts the scan).

use std::ops::Range;

use crate::number::parse_i64;
use crate::{Limits, ProtocolError};

/// What a header announces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// `+`: the text's range.
    Simple(Range<usize>),
    /// `-`: the text's range.
    Error(Range<usize>),
    /// `:`
    Integer(i64),
    /// `_`
    Null,
    /// `$-1`
    NullBulk,
    /// `*-1`
    NullArray,
    /// `,`
    Double(f64),
    /// `#`
    Boolean(bool),
    /// `(`: the digits' range.
    BigNumber(Range<usize>),
    /// `$`, `!` or `=`: a payload of `len` bytes and a CRLF follows the header.
    Blob {
        /// The type byte.
        kind: u8,
        /// Payload length.
        len: usize,
    },
    /// `*`, `%`, `~`, `>` or `|`: `children` frames follow (twice the count for maps and
    /// attributes; an attribute is followed by one more frame, the one it describes).
    Aggregate {
        /// The type byte.
        kind: u8,
        /// Frames that follow.
        children: u64,
    },
}

/// Read the header at `pos`: `Ok(Some((item, next)))` where `next` is the index after its CRLF.
pub(crate) fn item(
    buf: &[u8],
    pos: usize,
    limits: &Limits,
) -> Result<Option<(Item, usize)>, ProtocolError> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    if !matches!(
        kind,
        b'+' | b'-'
            | b':'
            | b'$'
            | b'*'
            | b'_'
            | b','
            | b'#'
            | b'('
            | b'!'
            | b'='
            | b'%'
            | b'~'
            | b'>'
            | b'|'
    ) {
        return Err(ProtocolError::InvalidType(kind));
    }
    let Some(end) = line_end(buf, pos, kind, limits)? else {
        return Ok(None);
    };
    let body = pos + 1..end;
    let text = &buf[body.clone()];
    let item = match kind {
        b'+' => Item::Simple(body),
        b'-' => Item::Error(body),
        b':' => Item::Integer(parse_i64(text).ok_or(ProtocolError::Malformed("invalid integer"))?),
        b'_' if text.is_empty() => Item::Null,
        b'_' => return Err(ProtocolError::Malformed("invalid null")),
        b'#' => match text {
            b"t" => Item::Boolean(true),
            b"f" => Item::Boolean(false),
            _ => return Err(ProtocolError::Malformed("invalid boolean")),
        },
        b',' => Item::Double(parse_double(text)?),
        b'(' => {
            let digits = text.strip_prefix(b"-").unwrap_or(text);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(ProtocolError::Malformed("invalid big number"));
            }
            Item::BigNumber(body)
        }
        b'$' | b'!' | b'=' => blob(kind, text, limits)?,
        _ => aggregate(kind, text, limits)?,
    };
    Ok(Some((item, end + 2)))
}

/// Index of the `\r` ending the line that starts at `pos`, once its `\n` has arrived.
fn line_end(
    buf: &[u8],
    pos: usize,
    kind: u8,
    limits: &Limits,
) -> Result<Option<usize>, ProtocolError> {
    let max = limits.max_inline_len;
    // Look at no more than the longest line allowed, so a flood without CRLF costs little.
    let window_end = buf.len().min(pos.saturating_add(max).saturating_add(1));
    match memchr::memchr2(b'\r', b'\n', &buf[pos + 1..window_end]) {
        Some(i) => {
            let cr = pos + 1 + i;
            match buf.get(cr + 1) {
                _ if buf[cr] == b'\n' => Err(ProtocolError::Malformed(
                    "line feed without carriage return",
                )),
                None => Ok(None),
                Some(b'\n') => Ok(Some(cr)),
                Some(_) => Err(ProtocolError::Malformed(
                    "carriage return without line feed",
                )),
            }
        }
        None if buf.len() - pos > max => Err(match kind {
            b'*' => ProtocolError::TooBigMbulkCountString,
            b'$' => ProtocolError::TooBigBulkCountString,
            _ => ProtocolError::Malformed("line too long"),
        }),
        None => Ok(None),
    }
}

fn parse_double(text: &[u8]) -> Result<f64, ProtocolError> {
    const BAD: ProtocolError = ProtocolError::Malformed("invalid double");
    let text = std::str::from_utf8(text).map_err(|_| BAD)?;
    // Rust also reads `infinity`, `+1` and `1e5`; RESP3 servers send `inf`, `-inf`, `nan` and
    // `%.17g` text, all of which are among them.
    text.parse::<f64>().map_err(|_| BAD)
}

fn blob(kind: u8, text: &[u8], limits: &Limits) -> Result<Item, ProtocolError> {
    if text == b"?" {
        return Err(ProtocolError::Malformed(
            "streamed strings are not supported",
        ));
    }
    match parse_i64(text) {
        Some(-1) if kind == b'$' => Ok(Item::NullBulk),
        Some(len) if len >= 0 && len as u64 <= limits.max_bulk_len => {
            let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
            if kind == b'=' && len < 4 {
                return Err(ProtocolError::Malformed("verbatim string without format"));
            }
            Ok(Item::Blob { kind, len })
        }
        _ => Err(ProtocolError::InvalidBulkLength),
    }
}

fn aggregate(kind: u8, text: &[u8], limits: &Limits) -> Result<Item, ProtocolError> {
    if text == b"?" {
        return Err(ProtocolError::Malformed(
            "streamed aggregates are not supported",
        ));
    }
    match parse_i64(text) {
        Some(-1) if kind == b'*' => Ok(Item::NullArray),
        Some(n) if n >= 0 && n as u64 <= limits.max_multibulk_len => {
            let pairs = matches!(kind, b'%' | b'|');
            Ok(Item::Aggregate {
                kind,
                children: if pairs { n as u64 * 2 } else { n as u64 },
            })
        }
        _ => Err(ProtocolError::InvalidMultibulkLength),
    }
}
