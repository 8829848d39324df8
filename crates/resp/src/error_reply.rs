//! Every error reply a Redis user can see, with its exact wire text, built in one place.

use std::borrow::Cow;
use std::fmt;

/// An error reply. `Display` gives the text after the `-` and before the CRLF, word for word as
/// Redis 7.0 sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorReply {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR syntax error`
    Syntax,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR wrong number of arguments for '<cmd>' command` (the name as the client typed it,
    /// lowercased as Redis does for the command's registered name).
    WrongArity(String),
    /// `ERR unknown command '<name>', with args beginning with: '<a>' '<b>' ` (Redis quotes at
    /// most the first 128 bytes of each argument, and its trailing space is part of the text).
    UnknownCommand {
        /// The command name as sent (truncated to 128 bytes, bytes kept as sent).
        name: Vec<u8>,
        /// The arguments after the name, each truncated to 128 bytes.
        args: Vec<Vec<u8>>,
    },
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        /// The subcommand as sent.
        sub: Vec<u8>,
        /// The container command, uppercase (`CLIENT`, `CONFIG`…).
        cmd: String,
    },
    /// `NOAUTH Authentication required.`
    NoAuth,
    /// `ERR Protocol error: …`: the client broke RESP; the connection is closed after this
    /// reply.
    Protocol(crate::ProtocolError),
    /// `MOVED <slot> <host>:<port>`
    Moved {
        /// The slot asked for.
        slot: u16,
        /// Endpoint of the owner (ip, hostname, `?` or empty, per `cluster-preferred-endpoint-type`).
        host: String,
        /// Client port of the owner.
        port: u16,
    },
    /// `ASK <slot> <host>:<port>`
    Ask {
        /// The slot asked for.
        slot: u16,
        /// Endpoint of the migration target.
        host: String,
        /// Client port of the migration target.
        port: u16,
    },
    /// `CROSSSLOT Keys in request don't hash to the same slot`
    CrossSlot,
    /// `TRYAGAIN Multiple keys request during rehashing of slot`
    TryAgain,
    /// `CLUSTERDOWN Hash slot not served`
    ClusterDownUnbound,
    /// `CLUSTERDOWN The cluster is down`
    ClusterDown,
    /// `CLUSTERDOWN The cluster is down and only accepts read commands`
    ClusterDownReadOnly,
    /// Any other error, given as its whole text (`ERR …`, `BUSYKEY …`): for the long tail of
    /// command-specific messages. The text must not contain CR or LF.
    Other(Cow<'static, str>),
}

impl ErrorReply {
    /// An `ERR`-prefixed or custom-prefixed message given as a whole.
    pub fn msg(text: impl Into<Cow<'static, str>>) -> Self {
        ErrorReply::Other(text.into())
    }
}

impl ErrorReply {
    /// Append the reply's wire text (after the `-`, before the CRLF). Unlike `Display`, which
    /// is for logs and must be UTF-8, this keeps the client's bytes as they were sent, as Redis
    /// echoes them.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        match self {
            ErrorReply::UnknownCommand { name, args } => {
                out.extend_from_slice(b"ERR unknown command '");
                out.extend_from_slice(name);
                out.extend_from_slice(b"', with args beginning with: ");
                for a in args {
                    out.push(b'\'');
                    out.extend_from_slice(a);
                    out.extend_from_slice(b"' ");
                }
            }
            ErrorReply::UnknownSubcommand { sub, cmd } => {
                out.extend_from_slice(b"ERR unknown subcommand '");
                out.extend_from_slice(sub);
                let _ = write!(out, "'. Try {cmd} HELP.");
            }
            ErrorReply::Protocol(crate::ProtocolError::ExpectedDollar(b)) => {
                out.extend_from_slice(b"ERR Protocol error: expected '$', got '");
                out.push(*b);
                out.push(b'\'');
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
}

impl fmt::Display for ErrorReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorReply::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            ErrorReply::Syntax => f.write_str("ERR syntax error"),
            ErrorReply::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            ErrorReply::NotFloat => f.write_str("ERR value is not a valid float"),
            ErrorReply::Overflow => f.write_str("ERR increment or decrement would overflow"),
            ErrorReply::NoSuchKey => f.write_str("ERR no such key"),
            ErrorReply::WrongArity(cmd) => {
                write!(f, "ERR wrong number of arguments for '{cmd}' command")
            }
            ErrorReply::UnknownCommand { name, args } => {
                let name = String::from_utf8_lossy(name);
                write!(
                    f,
                    "ERR unknown command '{name}', with args beginning with: "
                )?;
                for a in args {
                    write!(f, "'{}' ", String::from_utf8_lossy(a))?;
                }
                Ok(())
            }
            ErrorReply::UnknownSubcommand { sub, cmd } => {
                let sub = String::from_utf8_lossy(sub);
                write!(f, "ERR unknown subcommand '{sub}'. Try {cmd} HELP.")
            }
            ErrorReply::NoAuth => f.write_str("NOAUTH Authentication required."),
            ErrorReply::Protocol(e) => write!(f, "ERR {e}"),
            ErrorReply::Moved { slot, host, port } => write!(f, "MOVED {slot} {host}:{port}"),
            ErrorReply::Ask { slot, host, port } => write!(f, "ASK {slot} {host}:{port}"),
            ErrorReply::CrossSlot => {
                f.write_str("CROSSSLOT Keys in request don't hash to the same slot")
            }
            ErrorReply::TryAgain => {
                f.write_str("TRYAGAIN Multiple keys request during rehashing of slot")
            }
            ErrorReply::ClusterDownUnbound => f.write_str("CLUSTERDOWN Hash slot not served"),
            ErrorReply::ClusterDown => f.write_str("CLUSTERDOWN The cluster is down"),
            ErrorReply::ClusterDownReadOnly => {
                f.write_str("CLUSTERDOWN The cluster is down and only accepts read commands")
            }
            ErrorReply::Other(text) => f.write_str(text),
        }
    }
}
