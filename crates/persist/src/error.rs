//! Errors of the RDB and DUMP codecs.

/// Why an RDB file (or a DUMP payload's body) did not load. Offsets count from the start of the
/// input given to the loader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RdbError {
    /// The input ended where more bytes were needed.
    #[error("RDB truncated: more bytes needed at offset {offset}")]
    Truncated {
        /// Where the missing bytes were expected.
        offset: usize,
    },
    /// The input does not start with `REDIS` and four version digits.
    #[error("wrong signature trying to load DB from file")]
    BadMagic,
    /// A version this reader does not load.
    #[error(
        "can't handle RDB format version {0}: this reader loads versions 1 to 10 (Redis <= 7.0)"
    )]
    Version(u32),
    /// The CRC-64 footer does not match the content.
    #[error("wrong RDB checksum: stored {stored:016x}, computed {computed:016x}")]
    Checksum {
        /// The footer's value.
        stored: u64,
        /// The CRC-64 of the content.
        computed: u64,
    },
    /// A record this node cannot hold: functions, module data, streams.
    #[error("RDB contains a {kind} record at offset {offset}, which this node does not support")]
    Unsupported {
        /// What the record is (`FUNCTION2`, `stream`, `module value`…).
        kind: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A byte that is neither an opcode nor a value type.
    #[error("unknown RDB value type or opcode {byte} at offset {offset}")]
    UnknownType {
        /// The byte.
        byte: u8,
        /// Where it is.
        offset: usize,
    },
    /// Structurally invalid data.
    #[error("bad RDB data at offset {offset}: {what}")]
    Corrupt {
        /// Where the bad record starts.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// `SELECTDB` names a database beyond the configured count.
    #[error("DB index {index} out of range at offset {offset}")]
    DbIndex {
        /// The index.
        index: u64,
        /// Where the opcode is.
        offset: usize,
    },
    /// The same key appears twice in one database.
    #[error("duplicate key found in RDB file at offset {offset}")]
    DuplicateKey {
        /// Where the key's record starts.
        offset: usize,
    },
    /// A FUNCTION library the file holds does not load (bad code, or a name listed twice):
    /// Redis fails the whole load (`rdbLoadRio`: "Failed loading library"). Raised by the
    /// node, which compiles the libraries [`crate::LoadEvent::Function`] delivers.
    #[error("Failed loading library, {0}")]
    Function(String),
}

/// Why a value could not be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// A kind of value this codec does not know how to write (a newer [`hashslot_keyspace::Object`]
    /// variant).
    #[error("cannot save a value of type {0}")]
    Unsupported(&'static str),
}

/// Why a RESTORE payload was refused; `Display` is Redis's reply text (without the `-`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// Shorter than the footer, an RDB version above 10, or a CRC mismatch.
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The footer is right but the body does not decode.
    #[error("ERR Bad data format")]
    BadData(RdbError),
}
