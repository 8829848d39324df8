//! Values: the kinds a key can hold, their encodings as OBJECT ENCODING names them, and borrowed
//! and owned views of them.
//!
//! Strings live inline in the key's entry (one allocation for key and value); everything else is
//! an [`Object`] kept beside the table. Adding a type (list, hash, set, zset) means adding an
//! [`Object`] variant and naming it in [`Object::value_type`] and [`Object::encoding`]: TYPE,
//! WRONGTYPE, COPY, MOVE, RENAME and SCAN TYPE then work for it unchanged.

/// The type of a value, as TYPE reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueType {
    /// `string`
    String,
    /// `list`
    List,
    /// `set`
    Set,
    /// `zset`
    ZSet,
    /// `hash`
    Hash,
    /// `stream`
    Stream,
}

impl ValueType {
    /// The name TYPE replies with.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }
}

/// The internal representation of a value, as OBJECT ENCODING names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// A string that is the canonical text of an i64 of at most 20 characters.
    Int,
    /// A string of at most 44 bytes set whole (SET, MSET…).
    Embstr,
    /// Any other string: longer than 44 bytes, or modified in place (APPEND, SETRANGE).
    Raw,
    /// For object kinds added later, their own encoding name.
    Other(&'static str),
}

impl Encoding {
    /// The name OBJECT ENCODING replies with.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Int => "int",
            Encoding::Embstr => "embstr",
            Encoding::Raw => "raw",
            Encoding::Other(name) => name,
        }
    }
}

/// Redis's `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`: strings up to this length are `embstr`.
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// A value that is not stored inline in its entry. Each collection type lives in its own module
/// under `types/` and answers for its encoding and size.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// A raw string that may grow in place (after APPEND or SETRANGE, or longer than the inline
    /// limit), with amortised growth so that repeated APPENDs cost O(appended bytes).
    Str(Vec<u8>),
    /// A list.
    List(crate::types::List),
    /// A hash.
    Hash(crate::types::Hash),
    /// A set.
    Set(crate::types::Set),
    /// A sorted set.
    ZSet(crate::types::ZSet),
    /// A stream.
    Stream(crate::stream::Stream),
}

impl Object {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Object::Str(_) => ValueType::String,
            Object::List(_) => ValueType::List,
            Object::Hash(_) => ValueType::Hash,
            Object::Set(_) => ValueType::Set,
            Object::ZSet(_) => ValueType::ZSet,
            Object::Stream(_) => ValueType::Stream,
        }
    }

    /// The value's encoding.
    pub fn encoding(&self) -> Encoding {
        match self {
            Object::Str(_) => Encoding::Raw,
            Object::List(l) => l.encoding(),
            Object::Hash(h) => h.encoding(),
            Object::Set(s) => s.encoding(),
            Object::ZSet(z) => z.encoding(),
            Object::Stream(_) => Encoding::Other("stream"),
        }
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        match self {
            Object::Str(v) => v.capacity(),
            Object::List(l) => l.heap_size(),
            Object::Hash(h) => h.heap_size(),
            Object::Set(s) => s.heap_size(),
            Object::ZSet(z) => z.heap_size(),
            Object::Stream(s) => s.heap_size(),
        }
    }
}

/// The bytes of a string value, borrowed: integer-encoded strings are kept as the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrRef<'a> {
    /// The string's bytes.
    Bytes(&'a [u8]),
    /// An integer-encoded string: its text is the decimal form of this number.
    Int(i64),
}

impl StrRef<'_> {
    /// Length of the string in bytes (STRLEN).
    pub fn len(&self) -> usize {
        match self {
            StrRef::Bytes(b) => b.len(),
            StrRef::Int(n) => int_len(*n),
        }
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The string's bytes, copied.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            StrRef::Bytes(b) => b.to_vec(),
            StrRef::Int(n) => n.to_string().into_bytes(),
        }
    }
}

/// Number of characters of the decimal text of `n`.
pub(crate) fn int_len(n: i64) -> usize {
    let mut len = usize::from(n < 0) + 1;
    let mut v = n.unsigned_abs();
    while v >= 10 {
        v /= 10;
        len += 1;
    }
    len
}

/// A value, borrowed from the database.
#[derive(Debug, Clone, Copy)]
pub enum ValueRef<'a> {
    /// A string with its encoding.
    Str(StrRef<'a>, Encoding),
    /// Any non-string value.
    Obj(&'a Object),
}

impl<'a> ValueRef<'a> {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            ValueRef::Str(..) => ValueType::String,
            ValueRef::Obj(o) => o.value_type(),
        }
    }

    /// The value's encoding.
    pub fn encoding(&self) -> Encoding {
        match self {
            ValueRef::Str(_, e) => *e,
            ValueRef::Obj(o) => o.encoding(),
        }
    }

    /// The string, or `None` when the value is another type (WRONGTYPE).
    pub fn as_str(&self) -> Option<StrRef<'a>> {
        match self {
            ValueRef::Str(s, _) => Some(*s),
            ValueRef::Obj(_) => None,
        }
    }
}

/// An owned value, to insert (RDB loading, tests) or take out of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string; it is given the encoding Redis would give it on SET.
    Str(Vec<u8>),
    /// Any other value.
    Obj(Object),
}
