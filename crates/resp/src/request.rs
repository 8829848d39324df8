//! The request parser: RESP multibulk and inline commands, incrementally, with Redis's limits.
//!
//! Redis 7.0 facts this parser reproduces (`processInputBuffer`, `processMultibulkBuffer`,
//! `processInlineBuffer`; each checked against `redis-server` 7.0.15):
//! - a request whose first byte is `*` is multibulk, anything else is inline;
//! - header lines end at the first `\r`, which must be followed by one more byte that is skipped
//!   unchecked; after a bulk's payload two bytes are skipped unchecked as well;
//! - Redis searches lines with `strchr`, which stops at a NUL byte: a NUL before the end of a
//!   header or inline line means the line never ends, and the client gets the "too big" error
//!   once more than 64 KB are buffered. This parser does the same rather than invent a new error;
//! - counts and lengths are parsed as `string2ll` does (see `number.rs`); a count ≤ 0 is an
//!   empty request, consumed and skipped by the caller.

use crate::inline::{self, Arg};
use crate::limits::{UNAUTHENTICATED_MAX_BULK_LEN, UNAUTHENTICATED_MAX_MULTIBULK_LEN};
use crate::number::parse_i64;
use crate::{Limits, ProtocolError};

/// Redis reserves room for at most this many arguments before they arrive, so a header alone
/// cannot make it allocate much; we do the same.
const MAX_PREALLOCATED_ARGS: i64 = 1024;

/// Parses one client request at a time from the front of a connection's read buffer.
///
/// Contract (the resp crate's hot path):
/// - `parse(buf)` looks at `buf`, which starts at the first unconsumed byte of the connection.
///   `Ok(Some(n))`: a whole request occupies `buf[..n]`; its arguments are `args(buf)`. The
///   caller consumes `n` bytes and calls `reset()` before the next request.
///   `Ok(None)`: more bytes are needed; the parser keeps its progress, and the caller calls
///   `parse` again with the same bytes plus more (never fewer, never different).
///   `Err(e)`: the peer broke the protocol; reply `-ERR <e>` and close.
/// - Nothing is allocated per request once the argument table has grown to the largest request
///   seen; argument bytes are never copied, except for inline requests with quotes.
/// - [`RequestParser::wanted`] tells how many bytes the current request still needs when known,
///   so the caller can size its buffer for a large bulk in one step.
///
/// A request with no arguments (`*0\r\n`, `*-1\r\n`, an empty or blank inline line) is
/// returned as `Ok(Some(n))` with `argc() == 0`; Redis skips those silently, and so should the
/// caller. Work is linear in the bytes received, however the request is split: a pending line
/// is never rescanned, and a bulk payload is only waited for, not looked at.
#[derive(Debug)]
pub struct RequestParser {
    limits: Limits,
    /// Where each argument lies in the caller's buffer, or in `scratch` for unescaped inline args.
    args: Vec<Arg>,
    /// Bytes of the current request already parsed (resume point): the start of the line or
    /// payload being read.
    pos: usize,
    /// Multibulk elements still to read; 0 when the header is not read yet.
    pending: u64,
    /// Inline arguments that needed unescaping.
    scratch: Vec<u8>,
    /// Whether the current request arrived in inline form.
    inline: bool,
    /// What the parser is reading now.
    state: State,
    /// Bytes from `pos` to `scanned` are known not to end the line being read.
    scanned: usize,
    /// The line being read holds a NUL before its end, so (as in Redis) it can never end.
    stuck: bool,
    /// Length of the buffer at the last `parse` call, for [`RequestParser::wanted`].
    seen: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing of the request looked at yet.
    Start,
    /// Reading `*<count>\r\n`.
    MultibulkHeader,
    /// Reading `$<len>\r\n`.
    BulkHeader,
    /// Waiting for a payload of this many bytes plus two.
    BulkPayload(usize),
    /// Reading an inline line.
    Inline,
    /// A whole request was returned; `pos` is its length.
    Done,
}

/// The common header, read in one pass: `kind`, 1 to 9 digits without a leading zero, `\r`,
/// and one more byte present. Returns the number and where the next line starts. Anything
/// else (longer, signed, malformed, incomplete) returns `None` and goes the general way
/// (`line_end` then `string2ll`), which gives the same number for what this accepts; this
/// path only saves the search, and halves the time per argument.
#[inline]
fn short_header(buf: &[u8], pos: usize, kind: u8, limits: &Limits) -> Option<(usize, usize)> {
    let line = buf.get(pos..)?;
    if line.first() != Some(&kind) {
        return None;
    }
    let mut value = 0usize;
    let mut i = 1;
    while i < line.len().min(10) && line[i].is_ascii_digit() {
        value = value * 10 + usize::from(line[i] - b'0');
        i += 1;
    }
    let well_formed = i >= 2 && (line[1] != b'0' || i == 2);
    // The general path would call a line whose end lies past the size limit too big.
    let fits = i <= limits.max_inline_len;
    if well_formed && fits && line.get(i) == Some(&b'\r') && i + 1 < line.len() {
        Some((value, pos + i + 2))
    } else {
        None
    }
}

/// Where a line read with [`RequestParser::line_end`] stands.
enum LineEnd {
    /// The line ends at this index (of its `\r` or `\n`).
    At(usize),
    /// Not known yet.
    Pending,
    /// More than `max_inline_len` bytes without an end.
    TooLong,
}

impl RequestParser {
    /// A parser with the given limits.
    pub fn new(limits: Limits) -> Self {
        RequestParser {
            limits,
            args: Vec::new(),
            pos: 0,
            pending: 0,
            scratch: Vec::new(),
            inline: false,
            state: State::Start,
            scanned: 0,
            stuck: false,
            seen: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Change the limits (CONFIG SET proto-max-bulk-len; AUTH lifting the unauthenticated cap).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Parse the request at the front of `buf`; see the type's contract.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        debug_assert!(
            buf.len() >= self.seen,
            "parse was given fewer bytes than before"
        );
        self.seen = buf.len();
        loop {
            match self.state {
                State::Start => match buf.first() {
                    None => return Ok(None),
                    Some(b'*') => self.state = State::MultibulkHeader,
                    Some(_) => {
                        self.inline = true;
                        self.state = State::Inline;
                    }
                },
                State::MultibulkHeader => {
                    let Some(count) = self.number(buf, b'*')? else {
                        return Ok(None);
                    };
                    let count = count.ok_or(ProtocolError::InvalidMultibulkLength)?;
                    if count > 0 && count as u64 > self.limits.max_multibulk_len {
                        return Err(ProtocolError::InvalidMultibulkLength);
                    }
                    if self.limits.auth_required && count > UNAUTHENTICATED_MAX_MULTIBULK_LEN as i64
                    {
                        return Err(ProtocolError::UnauthenticatedMultibulkLength);
                    }
                    if count <= 0 {
                        self.state = State::Done;
                        return Ok(Some(self.pos));
                    }
                    self.pending = count as u64;
                    self.args.reserve(count.min(MAX_PREALLOCATED_ARGS) as usize);
                    self.state = State::BulkHeader;
                }
                State::BulkHeader => {
                    let Some(len) = self.number(buf, b'$')? else {
                        return Ok(None);
                    };
                    let len = len
                        .filter(|&n| n >= 0 && n as u64 <= self.limits.max_bulk_len)
                        .ok_or(ProtocolError::InvalidBulkLength)?;
                    if self.limits.auth_required && len as u64 > UNAUTHENTICATED_MAX_BULK_LEN {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    // A length that does not fit in memory could never be satisfied anyway.
                    let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
                    // Usually the payload is here already: take it without a state change.
                    if let Some(answer) = self.take_bulk(buf, len) {
                        return Ok(answer);
                    }
                }
                State::BulkPayload(len) => {
                    if let Some(answer) = self.take_bulk(buf, len) {
                        return Ok(answer);
                    }
                }
                State::Inline => return self.inline(buf),
                State::Done => return Ok(Some(self.pos)),
            }
        }
    }

    /// Take a bulk payload of `len` bytes at `pos` if it has all arrived. Returns what `parse`
    /// should return, or `None` to go on with the next header.
    #[inline(always)]
    fn take_bulk(&mut self, buf: &[u8], len: usize) -> Option<Option<usize>> {
        if buf.len() - self.pos < len.saturating_add(2) {
            self.state = State::BulkPayload(len);
            return Some(None);
        }
        self.args.push(Arg {
            in_scratch: false,
            range: self.pos..self.pos + len,
        });
        // Redis skips the two bytes after the payload without looking at them.
        self.pos += len + 2;
        self.scanned = self.pos;
        self.pending -= 1;
        if self.pending == 0 {
            self.state = State::Done;
            return Some(Some(self.pos));
        }
        self.state = State::BulkHeader;
        None
    }

    /// Read the `*<count>`/`$<len>` header at `pos` and move past it. `Ok(None)`: incomplete;
    /// `Ok(Some(None))`: not a number `string2ll` accepts.
    #[inline(always)]
    fn number(&mut self, buf: &[u8], kind: u8) -> Result<Option<Option<i64>>, ProtocolError> {
        if let Some((n, next)) = short_header(buf, self.pos, kind, &self.limits) {
            self.pos = next;
            self.scanned = next;
            return Ok(Some(Some(n as i64)));
        }
        Ok(self.header(buf, kind)?.map(parse_i64))
    }

    /// Read a `*`/`$` header line at `pos`; returns the text between the type byte and the
    /// `\r`, and moves `pos` past the line. `kind` picks the errors and the expected byte.
    fn header<'b>(&mut self, buf: &'b [u8], kind: u8) -> Result<Option<&'b [u8]>, ProtocolError> {
        let start = self.pos;
        let end = match self.line_end(buf, b'\r') {
            LineEnd::At(end) => end,
            LineEnd::Pending => return Ok(None),
            LineEnd::TooLong if kind == b'*' => return Err(ProtocolError::TooBigMbulkCountString),
            LineEnd::TooLong => return Err(ProtocolError::TooBigBulkCountString),
        };
        // Redis wants one byte after the `\r` (and does not check that it is `\n`).
        if end + 1 >= buf.len() {
            return Ok(None);
        }
        if buf[start] != kind {
            // Only reachable for bulk headers: a multibulk request starts with `*` by definition.
            return Err(ProtocolError::ExpectedDollar(buf[start]));
        }
        self.pos = end + 2;
        self.scanned = self.pos;
        Ok(Some(&buf[start + 1..end]))
    }

    /// Find the end (`delim`) of the line starting at `pos`, scanning each byte once across
    /// calls and never more than `max_inline_len + 1` bytes of the line.
    fn line_end(&mut self, buf: &[u8], delim: u8) -> LineEnd {
        let max = self.limits.max_inline_len;
        let available = buf.len() - self.pos;
        if !self.stuck {
            let from = self.scanned.max(self.pos);
            let window_end = buf
                .len()
                .min(self.pos.saturating_add(max).saturating_add(1));
            if from < window_end {
                match memchr::memchr2(delim, 0, &buf[from..window_end]) {
                    Some(i) if buf[from + i] == delim => {
                        self.scanned = from + i;
                        return LineEnd::At(from + i);
                    }
                    Some(_) => self.stuck = true,
                    None => self.scanned = window_end,
                }
            }
        }
        // Redis's test: no end found and more than the limit buffered.
        if available > max {
            LineEnd::TooLong
        } else {
            LineEnd::Pending
        }
    }

    /// Read an inline request: one line up to `\n` (minus one `\r`), split as `sdssplitargs`.
    fn inline(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        let start = self.pos;
        let newline = match self.line_end(buf, b'\n') {
            LineEnd::At(i) => i,
            LineEnd::Pending => return Ok(None),
            LineEnd::TooLong => return Err(ProtocolError::TooBigInlineRequest),
        };
        let end = if newline > start && buf[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        inline::split(buf, start..end, &mut self.args, &mut self.scratch)?;
        self.pos = newline + 1;
        self.state = State::Done;
        Ok(Some(self.pos))
    }

    /// The arguments of the request just parsed, borrowed from `buf` (the same bytes given to
    /// the `parse` call that returned `Some`).
    pub fn args<'a>(&'a self, buf: &'a [u8]) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        self.args.iter().map(move |a| {
            if a.in_scratch {
                &self.scratch[a.range.clone()]
            } else {
                &buf[a.range.clone()]
            }
        })
    }

    /// Number of arguments of the request just parsed.
    pub fn argc(&self) -> usize {
        self.args.len()
    }

    /// Whether the request just parsed was an inline command.
    pub fn is_inline(&self) -> bool {
        self.inline
    }

    /// Bytes the current incomplete request still needs, when the parser knows (inside a bulk):
    /// the rest of the payload and its CRLF. More may be needed after it for later arguments.
    pub fn wanted(&self) -> Option<usize> {
        match self.state {
            State::BulkPayload(len) => {
                Some((self.pos.saturating_add(len).saturating_add(2)).saturating_sub(self.seen))
            }
            _ => None,
        }
    }

    /// Forget the request just parsed (or a partial one), keeping allocated capacity.
    pub fn reset(&mut self) {
        self.args.clear();
        self.scratch.clear();
        self.pos = 0;
        self.pending = 0;
        self.inline = false;
        self.state = State::Start;
        self.scanned = 0;
        self.stuck = false;
        self.seen = 0;
    }
}
