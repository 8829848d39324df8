//! DUMP payloads cross both ways between redis-server 7.0 and us, for every type and encoding.

mod support;

use hashslot_keyspace::ValueRef;
use hashslot_persist::{dump_payload, restore_payload, DumpError};
use support::*;

#[test]
fn payloads_cross_both_ways() {
    let dir = TempDir::new("dump");
    let Some(server) = Server::start(&dir.0, "none.rdb") else {
        return;
    };
    let mut c = server.client();
    let data = varied(wall_ms());
    for cmd in commands(&data) {
        c.run(&cmd);
    }
    for (k, m, _) in &data {
        // Theirs → ours.
        let payload = c.run(&[b"DUMP".as_slice(), k]).bytes();
        let v = restore_payload(&payload)
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(k)));
        let got = match &v {
            hashslot_keyspace::Value::Str(s) => Model::Str(s.clone()),
            hashslot_keyspace::Value::Obj(o) => model_of(ValueRef::Obj(o)),
        };
        assert!(same(&got, m), "{}", String::from_utf8_lossy(k));
        // Ours → theirs.
        let value = to_value(m);
        let ours = match &value {
            hashslot_keyspace::Value::Str(s) => dump_payload(ValueRef::Str(
                hashslot_keyspace::StrRef::Bytes(s),
                hashslot_keyspace::Encoding::Raw,
            )),
            hashslot_keyspace::Value::Obj(o) => dump_payload(ValueRef::Obj(o)),
        }
        .unwrap();
        let mut nk = b"copy:".to_vec();
        nk.extend_from_slice(k);
        let r = c.run(&[b"RESTORE".as_slice(), &nk, b"0", &ours]);
        assert_eq!(
            r,
            Reply::Status("OK".into()),
            "{}",
            String::from_utf8_lossy(k)
        );
        assert!(
            same(&fetch(&mut c, &nk), m),
            "{}",
            String::from_utf8_lossy(k)
        );
    }
}

#[test]
fn bad_payloads_are_refused_with_redis_text() {
    let v = to_value(&Model::Str(b"hello".to_vec()));
    let hashslot_keyspace::Value::Str(s) = &v else {
        unreachable!()
    };
    let p = dump_payload(ValueRef::Str(
        hashslot_keyspace::StrRef::Bytes(s),
        hashslot_keyspace::Encoding::Embstr,
    ))
    .unwrap();
    assert_eq!(restore_payload(&p).unwrap(), v);
    let mut bad = p.clone();
    bad[2] ^= 1;
    assert_eq!(restore_payload(&bad), Err(DumpError::VersionOrChecksum));
    assert_eq!(
        DumpError::VersionOrChecksum.to_string(),
        "ERR DUMP payload version or checksum are wrong"
    );
    let mut newer = p[..p.len() - 10].to_vec();
    newer.extend_from_slice(&11u16.to_le_bytes());
    let crc = hashslot_persist::crc64(&newer);
    newer.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(restore_payload(&newer), Err(DumpError::VersionOrChecksum));
    assert_eq!(restore_payload(b"short"), Err(DumpError::VersionOrChecksum));
    // A good footer over a bad body: Bad data format.
    let mut body = vec![0u8, 0x45];
    body.extend_from_slice(&10u16.to_le_bytes());
    let crc = hashslot_persist::crc64(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    let e = restore_payload(&body).unwrap_err();
    assert_eq!(e.to_string(), "ERR Bad data format");
}
