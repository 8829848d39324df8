//! FUNCTION libraries in RDB form: the `RDB_OPCODE_FUNCTION2` (245) record, a library's whole
//! code as one RDB string, and the FUNCTION DUMP / RESTORE payloads built from such records
//! (`<records> <RDB version: u16 LE> <CRC-64 LE>`, as DUMP). Ref: Redis 7.0 `rdb.c`
//! `rdbSaveFunctions` / `rdbFunctionLoad`, `functions.c` `functionDumpCommand` /
//! `functionRestoreCommand`.

use hashslot_keyspace::Db;
use hashslot_types::UnixMillis;

use crate::consts::{OP_FUNCTION2, OP_FUNCTION_PRE_GA, RDB_VERSION};
use crate::enc::{self, Enc};
use crate::error::{DumpError, RdbError};
use crate::read::{Rd, DEFAULT_MAX_STRING};
use crate::writer::{Aux, Options, RdbWriter};
use crate::{SaveError, CRC64};

/// [`crate::save_dbs`] with the FUNCTION libraries' `functions` (their code) written after the
/// aux fields, as Redis 7.0's `rdbSaveRio` does (`rdbSaveFunctions` before the databases).
pub fn save_dbs_with_functions(
    dbs: &[Db],
    functions: &[&[u8]],
    now: UnixMillis,
    aux: &Aux,
    opts: &Options,
) -> Result<Vec<u8>, SaveError> {
    let mut w = RdbWriter::new(now, aux, opts);
    for code in functions {
        w.write_function(code);
    }
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(i as u32, db.len() as u64, db.expires_len() as u64);
        for (k, v, exp) in db.iter() {
            w.write_key(k, v, exp)?;
        }
    }
    Ok(w.finish())
}

/// Append the FUNCTION2 record of one library's `code` (compressed as with `rdbcompression
/// yes` when `compress`).
pub fn put_function_record(out: &mut Vec<u8>, code: &[u8], compress: bool) {
    out.push(OP_FUNCTION2);
    enc::put_str(out, &mut Enc::new(compress), code);
}

/// The FUNCTION DUMP payload of the libraries' `codes`.
pub fn function_dump_payload<'a>(codes: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        put_function_record(&mut out, code, true);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = CRC64.checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The library codes of a FUNCTION RESTORE payload, its footer checked first.
pub fn function_restore_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, DumpError> {
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
    let mut codes = Vec::new();
    while rd.remaining() > 0 {
        let op = rd.u8().map_err(DumpError::BadData)?;
        match op {
            OP_FUNCTION2 => codes.push(rd.string().map_err(DumpError::BadData)?.into_owned()),
            OP_FUNCTION_PRE_GA => {
                return Err(DumpError::BadData(RdbError::Corrupt {
                    offset: 0,
                    what: "pre-GA function format",
                }))
            }
            _ => {
                return Err(DumpError::BadData(RdbError::Corrupt {
                    offset: 0,
                    what: "given type is not a function",
                }))
            }
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdb_functions_round_trip_through_the_loader() {
        let code = b"#!lua name=a\nredis.register_function('f', function() return 1 end)";
        let dbs = vec![Db::with_seed(1)];
        let file = save_dbs_with_functions(
            &dbs,
            &[code.as_slice()],
            UnixMillis(1_700_000_000_000),
            &Aux::default(),
            &Options::default(),
        )
        .unwrap();
        // Refused unless asked for (the default keeps files with functions out).
        assert!(crate::load(&file, &crate::LoadOptions::default()).is_err());
        let mut seen = Vec::new();
        let opts = crate::LoadOptions {
            functions: true,
            ..crate::LoadOptions::default()
        };
        crate::load_events(&file, &opts, |ev| {
            if let crate::LoadEvent::Function(c) = ev {
                seen.push(c);
            }
        })
        .unwrap();
        assert_eq!(seen, vec![code.to_vec()]);
    }

    #[test]
    fn dump_restore_round_trip() {
        let a = b"#!lua name=a\nredis.register_function('f', function() return 1 end)".to_vec();
        let b = b"#!lua name=b\n".to_vec();
        let p = function_dump_payload([a.as_slice(), b.as_slice()]);
        assert_eq!(p[0], OP_FUNCTION2);
        assert_eq!(function_restore_payload(&p).unwrap(), vec![a, b]);
        let mut bad = p.clone();
        bad[3] ^= 1;
        assert!(matches!(
            function_restore_payload(&bad),
            Err(DumpError::VersionOrChecksum)
        ));
        assert!(function_restore_payload(b"x").is_err());
    }
}
