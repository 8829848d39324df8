//! DUMP and RESTORE payloads (`createDumpPayload`, `verifyDumpPayload`):
//! `<type byte> <value body> <RDB version: u16 LE> <CRC-64 LE of everything before it>`.

use hashslot_keyspace::{Value, ValueRef};

use crate::consts::RDB_VERSION;
use crate::enc::{self, Enc};
use crate::error::{DumpError, RdbError, SaveError};
use crate::load_value::read_value;
use crate::read::{Rd, DEFAULT_MAX_STRING};
use crate::CRC64;

/// The DUMP payload of `value`, as Redis 7.0 builds it (compressed strings as with
/// `rdbcompression yes`).
pub fn dump_payload(value: ValueRef<'_>) -> Result<Vec<u8>, SaveError> {
    let mut out = vec![enc::type_byte(value)?];
    enc::put_value(&mut out, &mut Enc::new(true), value)?;
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = CRC64.checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Check a RESTORE payload's footer (version ≤ 10, CRC-64) and decode its value.
pub fn restore_payload(payload: &[u8]) -> Result<Value, DumpError> {
    if payload.len() < 10 {
        return Err(DumpError::VersionOrChecksum);
    }
    let (body, foot) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([foot[0], foot[1]]);
    if version > RDB_VERSION {
        return Err(DumpError::VersionOrChecksum);
    }
    let stored = u64::from_le_bytes(foot[2..10].try_into().expect("8 bytes"));
    if CRC64.checksum(&payload[..payload.len() - 8]) != stored {
        return Err(DumpError::VersionOrChecksum);
    }
    let mut rd = Rd::new(body, DEFAULT_MAX_STRING);
    let ty = rd.u8().map_err(DumpError::BadData)?;
    match read_value(&mut rd, ty, 0) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(DumpError::BadData(RdbError::Corrupt {
            offset: 1,
            what: "empty collection",
        })),
        Err(e) => Err(DumpError::BadData(e)),
    }
}
