//! The request parser: RESP multibulk and inline commands, incrementally, with Redis's limits.

use std::ops::Range;

use crate::{Limits, ProtocolError};

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
#[derive(Debug)]
pub struct RequestParser {
    limits: Limits,
    /// Where each argument lies in the caller's buffer, or in `scratch` for unescaped inline args.
    args: Vec<Arg>,
    /// Bytes of the current request already parsed (resume point).
    pos: usize,
    /// Multibulk elements still to read; 0 when the header is not read yet.
    pending: u64,
    /// Inline arguments that needed unescaping.
    scratch: Vec<u8>,
    /// Whether the current request arrived in inline form.
    inline: bool,
}

#[derive(Debug, Clone)]
struct Arg {
    in_scratch: bool,
    range: Range<usize>,
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
        let _ = (buf, self.pos, self.pending, self.inline);
        todo!("resp helper implements")
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

    /// Bytes the current incomplete request still needs, when the parser knows (inside a bulk).
    pub fn wanted(&self) -> Option<usize> {
        None
    }

    /// Forget the request just parsed (or a partial one), keeping allocated capacity.
    pub fn reset(&mut self) {
        self.args.clear();
        self.scratch.clear();
        self.pos = 0;
        self.pending = 0;
        self.inline = false;
    }
}
