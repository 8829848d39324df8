//! The frame decoder: pure, incremental, bounded. It scans a whole frame first, allocating
//! nothing, and builds the [`Frame`] only once every byte of it has arrived.

use std::ops::Range;

use bytes::Bytes;

use crate::head::{item, Item};
use crate::{Frame, Limits, ProtocolError};

/// Nesting is never allowed deeper than this, whatever `Limits::max_depth` says: the scan,
/// the build and `Drop` of a [`Frame`] recurse once per level, and this keeps them well inside
/// a thread's stack.
pub const MAX_DEPTH_CAP: usize = 1024;

/// Decode the frame at the front of `buf`.
///
/// `Ok(Some((frame, n)))`: a whole frame occupies `buf[..n]`. `Ok(None)`: more bytes are
/// needed; call again with the same bytes plus more. `Err`: the bytes are not RESP, or break a
/// limit (bulk length, element count, nesting, line length).
///
/// The function keeps no state: a frame that arrives in pieces is scanned again from its start
/// on each call. Payloads are stepped over by their length, so that costs a few operations per
/// element received so far, never per payload byte. The frame's bytes are copied once into one
/// buffer that its payloads share (one allocation for the bytes, plus one per aggregate); see
/// [`decode_bytes`] to share the input instead.
///
/// ```
/// use hashslot_resp::{decode, Frame, Limits};
/// let buf = b"*2\r\n$3\r\nfoo\r\n:42\r\n+extra";
/// let (frame, used) = decode(buf, &Limits::default()).unwrap().unwrap();
/// assert_eq!(frame, Frame::Array(vec![Frame::bulk("foo"), Frame::Integer(42)]));
/// assert_eq!(used, 18);
/// assert_eq!(decode(&buf[..10], &Limits::default()), Ok(None));
/// ```
pub fn decode(buf: &[u8], limits: &Limits) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let Some(end) = scan_frame(buf, limits)? else {
        return Ok(None);
    };
    let copy = Bytes::copy_from_slice(&buf[..end]);
    Ok(Some((build(buf, limits, end, |r| copy.slice(r)), end)))
}

/// As [`decode`], but the frame's payloads are slices of `buf` sharing its memory (no copy).
pub fn decode_bytes(buf: &Bytes, limits: &Limits) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let Some(end) = scan_frame(buf, limits)? else {
        return Ok(None);
    };
    Ok(Some((build(buf, limits, end, |r| buf.slice(r)), end)))
}

/// The end of the frame at the front of `buf`, once all of it is there.
fn scan_frame(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtocolError> {
    scan(buf, 0, limits, limits.max_depth.min(MAX_DEPTH_CAP))
}

/// Build the frame the scan found in `buf[..end]`; `payload` turns a range into bytes.
fn build(
    buf: &[u8],
    limits: &Limits,
    end: usize,
    payload: impl Fn(Range<usize>) -> Bytes,
) -> Frame {
    let mut builder = Builder {
        buf,
        limits,
        payload,
        pos: 0,
    };
    let frame = builder.frame();
    debug_assert_eq!(
        builder.pos, end,
        "build and scan disagree on the frame's end"
    );
    frame
}

/// Check the frame at `pos` without building it; returns the index after it. `depth_left` is
/// how many more levels of nesting may open.
fn scan(
    buf: &[u8],
    pos: usize,
    limits: &Limits,
    depth_left: usize,
) -> Result<Option<usize>, ProtocolError> {
    let Some((head, mut next)) = item(buf, pos, limits)? else {
        return Ok(None);
    };
    match head {
        Item::Blob { kind, len } => {
            let end = next.saturating_add(len);
            let Some(crlf) = buf.get(end..end.saturating_add(2)) else {
                return Ok(None);
            };
            if crlf != b"\r\n" {
                return Err(ProtocolError::Malformed(
                    "bulk payload not followed by CRLF",
                ));
            }
            if kind == b'=' && buf[next + 3] != b':' {
                return Err(ProtocolError::Malformed("verbatim string without format"));
            }
            Ok(Some(end + 2))
        }
        Item::Aggregate { kind, children } => {
            let depth_left = depth_left.checked_sub(1).ok_or(ProtocolError::TooDeep)?;
            // The frame an attribute describes is one more child, nested one level deeper, so
            // that a chain of attributes is bounded by the depth limit too.
            let children = children + u64::from(kind == b'|');
            for _ in 0..children {
                let Some(after) = scan(buf, next, limits, depth_left)? else {
                    return Ok(None);
                };
                next = after;
            }
            Ok(Some(next))
        }
        _ => Ok(Some(next)),
    }
}

/// Builds a frame the scan has accepted; every header is known good and complete.
struct Builder<'b, F> {
    buf: &'b [u8],
    limits: &'b Limits,
    payload: F,
    pos: usize,
}

impl<F: Fn(Range<usize>) -> Bytes> Builder<'_, F> {
    fn frame(&mut self) -> Frame {
        let (head, next) = match item(self.buf, self.pos, self.limits) {
            Ok(Some(found)) => found,
            _ => unreachable!("the scan accepted this header"),
        };
        self.pos = next;
        match head {
            Item::Simple(r) => Frame::Simple((self.payload)(r)),
            Item::Error(r) => Frame::Error((self.payload)(r)),
            Item::Integer(n) => Frame::Integer(n),
            Item::Null => Frame::Null,
            Item::NullBulk => Frame::NullBulk,
            Item::NullArray => Frame::NullArray,
            Item::Double(v) => Frame::Double(v),
            Item::Boolean(v) => Frame::Boolean(v),
            Item::BigNumber(r) => Frame::BigNumber((self.payload)(r)),
            Item::Blob { kind, len } => {
                let start = self.pos;
                self.pos += len + 2;
                match kind {
                    b'$' => Frame::Bulk((self.payload)(start..start + len)),
                    b'!' => Frame::BulkError((self.payload)(start..start + len)),
                    _ => {
                        let format = [self.buf[start], self.buf[start + 1], self.buf[start + 2]];
                        Frame::Verbatim {
                            format,
                            text: (self.payload)(start + 4..start + len),
                        }
                    }
                }
            }
            Item::Aggregate { kind, children } => {
                // The scan found every child in the buffer, so the count is bounded by it.
                let n = children as usize;
                match kind {
                    b'*' => Frame::Array(self.frames(n)),
                    b'~' => Frame::Set(self.frames(n)),
                    b'>' => Frame::Push(self.frames(n)),
                    b'%' => Frame::Map(self.pairs(n / 2)),
                    _ => {
                        let attrs = self.pairs(n / 2);
                        Frame::Attribute {
                            attrs,
                            data: Box::new(self.frame()),
                        }
                    }
                }
            }
        }
    }

    fn frames(&mut self, n: usize) -> Vec<Frame> {
        (0..n).map(|_| self.frame()).collect()
    }

    fn pairs(&mut self, n: usize) -> Vec<(Frame, Frame)> {
        (0..n).map(|_| (self.frame(), self.frame())).collect()
    }
}
