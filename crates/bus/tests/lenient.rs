//! What Redis accepts although it looks odd, accepted here too (and what is not preserved).

use hashslot_bus::{
    decode, encode, Header, Message, MessageFlags, MsgType, NetIp, Payload, PingExt,
};
use hashslot_types::{NodeId, ShardId};

fn ping(extensions: Vec<PingExt>) -> Vec<u8> {
    let msg = Message {
        header: Header::new(NodeId::from_raw([b'a'; 40])),
        payload: Payload::Ping {
            gossip: vec![],
            extensions,
        },
    };
    let mut out = Vec::new();
    encode(&msg, &mut out).unwrap();
    out
}

fn decoded(bytes: &[u8]) -> Message {
    let (msg, used) = decode(bytes).unwrap().unwrap();
    assert_eq!(used, bytes.len());
    msg
}

/// A PING whose extension section is `section` (EXT_DATA set, `count` extensions).
fn ping_with_raw_extensions(count: u16, section: &[u8]) -> Vec<u8> {
    let mut w = ping(vec![]);
    w.extend_from_slice(section);
    let totlen = w.len() as u32;
    w[4..8].copy_from_slice(&totlen.to_be_bytes());
    w[2214..2216].copy_from_slice(&count.to_be_bytes());
    w[2253] |= MessageFlags::EXT_DATA.0;
    w
}

#[test]
fn ext_data_without_extensions_is_accepted() {
    let msg = decoded(&ping_with_raw_extensions(0, &[]));
    assert!(
        !msg.header.mflags.contains(MessageFlags::EXT_DATA),
        "consumed by the decoder"
    );
    assert_eq!(msg.payload.ping_body().unwrap().1, &[] as &[PingExt]);
}

#[test]
fn extensions_count_without_ext_data_is_not_walked() {
    let mut w = ping(vec![]);
    w[2214..2216].copy_from_slice(&3u16.to_be_bytes());
    let msg = decoded(&w);
    assert_eq!(msg.payload.ping_body().unwrap().1, &[] as &[PingExt]);
}

#[test]
fn unknown_message_type_keeps_its_bytes() {
    let mut w = ping(vec![]);
    w[12..14].copy_from_slice(&42u16.to_be_bytes());
    w.extend_from_slice(b"0123456789");
    let totlen = w.len() as u32;
    w[4..8].copy_from_slice(&totlen.to_be_bytes());
    let msg = decoded(&w);
    assert_eq!(
        msg.payload,
        Payload::Unknown {
            msg_type: MsgType(42),
            data: b"0123456789".to_vec()
        }
    );
    let mut again = Vec::new();
    encode(&msg, &mut again).unwrap();
    assert_eq!(again, w);
}

#[test]
fn unknown_and_short_extensions_are_kept_as_is() {
    let section = [
        &[0, 0, 0, 16, 0x12, 0x34, 0, 0][..],
        b"anything", // type 0x1234
        &[0, 0, 0, 16, 0, 2, 0, 0],
        b"tooshort", // forgotten node needs 48 bytes
        &[0, 0, 0, 48, 0, 3, 0, 0],
        &[b'f'; 40], // shard id, as Redis 7.2 sends it
    ]
    .concat();
    let w = ping_with_raw_extensions(3, &section);
    let msg = decoded(&w);
    let exts = msg.payload.ping_body().unwrap().1;
    assert_eq!(
        exts[0],
        PingExt::Unknown {
            ext_type: 0x1234,
            bytes: b"anything".to_vec()
        }
    );
    assert_eq!(
        exts[1],
        PingExt::Unknown {
            ext_type: 2,
            bytes: b"tooshort".to_vec()
        }
    );
    assert_eq!(
        exts[2],
        PingExt::ShardId(ShardId(NodeId::from_raw([b'f'; 40])))
    );
    let mut again = Vec::new();
    encode(&msg, &mut again).unwrap();
    assert_eq!(again, w);
}

#[test]
fn strings_are_read_as_c_strings() {
    // No NUL at all: Redis would read past it, we keep it as is. Over-long padding: the string
    // up to the NUL (the padding is not preserved).
    let section = [
        &[0, 0, 0, 16, 0, 0, 0, 0][..],
        b"abcdefgh",
        &[0, 0, 0, 32, 0, 1, 0, 0],
        b"h1\0\0\0\0\0\0",
        &[0; 16],
    ]
    .concat();
    let msg = decoded(&ping_with_raw_extensions(2, &section));
    let exts = msg.payload.ping_body().unwrap().1;
    assert_eq!(
        exts[0],
        PingExt::Unknown {
            ext_type: 0,
            bytes: b"abcdefgh".to_vec()
        }
    );
    assert_eq!(exts[1], PingExt::HumanNodename(b"h1".to_vec()));
    assert_eq!(exts[1].encoded_len(), 16);
}

#[test]
fn reserved_bytes_and_raw_ids_are_not_checked() {
    let mut w = ping(vec![]);
    w[40..80].copy_from_slice(&[0xff; 40]); // a sender id that is not hex
    w[2168..2214].copy_from_slice(&[b'1'; 46]); // myip without NUL: 45 bytes kept
    w[2216..2246].copy_from_slice(&[7; 30]); // notused1
    w[2254] = 9; // mflags[1]
    w[2255] = 9; // mflags[2]
    let msg = decoded(&w);
    assert_eq!(msg.header.sender, NodeId::from_raw([0xff; 40]));
    assert_eq!(msg.header.myip, NetIp::new(&[b'1'; 45]).unwrap());
    assert_eq!(msg.header.slaveof, None);
}
