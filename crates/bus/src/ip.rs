//! The 46-byte, NUL-padded ip text fields of the header (`myip`) and of gossip entries (`ip`).

use std::fmt;

use crate::consts::NET_IP_STR_LEN;

/// Longest ip text a field holds: the last byte of the 46 is always a NUL terminator.
pub const NET_IP_MAX_LEN: usize = NET_IP_STR_LEN - 1;

/// The text of an ip field: up to 45 bytes without NUL, usually `"127.0.0.1"` or an IPv6 address.
/// Empty means "not announced" in the header (the receiver then uses the peer address).
///
/// Redis reads these fields as C strings and forces the 46th byte to NUL (`nodeIp2String()`), so
/// [`NetIp::from_wire`] keeps the bytes before the first NUL within the first 45; bytes after it
/// are not preserved. The text is not checked to be an address: the wire does not promise it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetIp {
    len: u8,
    bytes: [u8; NET_IP_MAX_LEN],
}

impl Default for NetIp {
    fn default() -> Self {
        NetIp::empty()
    }
}

impl NetIp {
    /// The empty text (all-zero field).
    pub const fn empty() -> Self {
        NetIp {
            len: 0,
            bytes: [0; NET_IP_MAX_LEN],
        }
    }

    /// The text `text`, or `None` if it is longer than 45 bytes or contains a NUL.
    pub fn new(text: &[u8]) -> Option<Self> {
        if text.len() > NET_IP_MAX_LEN || text.contains(&0) {
            return None;
        }
        let mut bytes = [0; NET_IP_MAX_LEN];
        bytes[..text.len()].copy_from_slice(text);
        // The length is at most 45, so it fits a u8.
        Some(NetIp {
            len: text.len() as u8,
            bytes,
        })
    }

    /// The text of a 46-byte wire field: the bytes before the first NUL, at most 45.
    pub fn from_wire(field: &[u8; NET_IP_STR_LEN]) -> Self {
        let head = &field[..NET_IP_MAX_LEN];
        let len = head.iter().position(|&b| b == 0).unwrap_or(NET_IP_MAX_LEN);
        let mut bytes = [0; NET_IP_MAX_LEN];
        bytes[..len].copy_from_slice(&head[..len]);
        NetIp {
            len: len as u8,
            bytes,
        }
    }

    /// The 46-byte wire field: the text, then NUL bytes.
    pub fn to_wire(&self) -> [u8; NET_IP_STR_LEN] {
        let mut out = [0; NET_IP_STR_LEN];
        out[..NET_IP_MAX_LEN].copy_from_slice(&self.bytes);
        out
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Whether the text is empty (the field was all zero).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for NetIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for NetIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetIp({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_and_c_string_reading() {
        let ip = NetIp::new(b"127.0.0.1").unwrap();
        assert_eq!(NetIp::from_wire(&ip.to_wire()), ip);
        let mut field = [b'x'; NET_IP_STR_LEN];
        assert_eq!(NetIp::from_wire(&field).as_bytes().len(), 45);
        field[3] = 0;
        assert_eq!(NetIp::from_wire(&field).as_bytes(), b"xxx");
        assert!(NetIp::new(&[b'1'; 46]).is_none());
        assert!(NetIp::new(b"a\0b").is_none());
        assert!(NetIp::from_wire(&[0; NET_IP_STR_LEN]).is_empty());
    }
}
