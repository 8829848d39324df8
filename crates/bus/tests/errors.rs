//! Each rule of the bus, broken once: the error, and whether the link is closed or the message
//! skipped, as Redis 7.0.15 does (`clusterReadHandler()`, `clusterProcessPacket()`).

use hashslot_bus::{
    decode, decode_with, encode, peek_header, BusError, Disposition, Header, Limits, Message,
    MsgType, Payload, PingExt, DEFAULT_MAX_TOTLEN,
};
use hashslot_types::{NodeId, SlotSet};

fn wire(payload: Payload) -> Vec<u8> {
    let msg = Message {
        header: Header::new(NodeId::from_raw([b'a'; 40])),
        payload,
    };
    let mut out = Vec::new();
    encode(&msg, &mut out).unwrap();
    out
}

fn ping_with_hostname() -> Vec<u8> {
    // Extension at 2256, 16 bytes long ("h1", NUL, padding): totlen 2272.
    let w = wire(Payload::Ping {
        gossip: vec![],
        extensions: vec![PingExt::Hostname(b"h1".into())],
    });
    assert_eq!(w.len(), 2272);
    w
}

fn set_u16(mut w: Vec<u8>, at: usize, v: u16) -> Vec<u8> {
    w[at..at + 2].copy_from_slice(&v.to_be_bytes());
    w
}

fn set_u32(mut w: Vec<u8>, at: usize, v: u32) -> Vec<u8> {
    w[at..at + 4].copy_from_slice(&v.to_be_bytes());
    w
}

/// Changes `totlen` to the buffer's length after resizing it to `len`.
fn resize(mut w: Vec<u8>, len: usize) -> Vec<u8> {
    w.resize(len, 0);
    set_u32(w, 4, len as u32)
}

const CLOSE: Disposition = Disposition::CloseLink;
const fn skip(len: usize) -> Disposition {
    Disposition::Skip { len }
}

#[test]
fn every_rule() {
    let fail = || {
        wire(Payload::Fail {
            nodename: NodeId::from_raw([b'b'; 40]),
        })
    };
    let publish = || {
        wire(Payload::Publish {
            channel: b"ch".to_vec(),
            message: b"hello".to_vec(),
        })
    };
    let module = || {
        wire(Payload::Module {
            module_id: [1; 8],
            module_type: 7,
            payload: b"xyz".to_vec(),
        })
    };
    let update = || {
        let slots = Box::new(SlotSet::new());
        wire(Payload::Update {
            config_epoch: hashslot_types::Epoch(1),
            nodename: NodeId::from_raw([b'c'; 40]),
            slots,
        })
    };
    let mismatch = |msg_type, totlen, expected| BusError::LengthMismatch {
        msg_type,
        totlen,
        expected,
    };
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<u8>, BusError, Disposition)> = vec![
        ("signature", { let mut w = fail(); w[3] = b'c'; w },
            BusError::BadSignature { sig: *b"RCmc" }, CLOSE),
        ("totlen below the header", set_u32(fail(), 4, 2255),
            BusError::TooShort { totlen: 2255 }, CLOSE),
        ("totlen zero", set_u32(fail(), 4, 0), BusError::TooShort { totlen: 0 }, CLOSE),
        ("totlen above the limit", set_u32(fail(), 4, DEFAULT_MAX_TOTLEN + 1),
            BusError::TooLong { totlen: DEFAULT_MAX_TOTLEN + 1, max: DEFAULT_MAX_TOTLEN as u64 }, CLOSE),
        ("ping above gossip + extension allowance", set_u16(set_u32(ping_with_hostname(), 4, 2256 + 104 + (1 << 20) + 8), 14, 1),
            BusError::TooLong { totlen: 2256 + 104 + (1 << 20) + 8, max: 2256 + 104 + (1 << 20) }, CLOSE),
        ("version 0", set_u16(fail(), 8, 0), BusError::BadVersion { ver: 0, totlen: 2296 }, skip(2296)),
        ("version 2", set_u16(fail(), 8, 2), BusError::BadVersion { ver: 2, totlen: 2296 }, skip(2296)),
        ("fail too short", resize(fail(), 2256), mismatch(MsgType::FAIL, 2256, 2296), skip(2256)),
        ("fail too long", resize(fail(), 2304), mismatch(MsgType::FAIL, 2304, 2296), skip(2304)),
        ("update too short", resize(update(), 4344), mismatch(MsgType::UPDATE, 4344, 4352), skip(4344)),
        ("auth request with a body", resize(wire(Payload::FailoverAuthRequest), 2264),
            mismatch(MsgType::FAILOVER_AUTH_REQUEST, 2264, 2256), skip(2264)),
        ("auth ack with a body", resize(wire(Payload::FailoverAuthAck), 2257),
            mismatch(MsgType::FAILOVER_AUTH_ACK, 2257, 2256), skip(2257)),
        ("mfstart with a body", resize(wire(Payload::MfStart), 2300),
            mismatch(MsgType::MFSTART, 2300, 2256), skip(2300)),
        ("publish lengths disagree", set_u32(publish(), 2260, 6),
            mismatch(MsgType::PUBLISH, 2271, 2272), skip(2271)),
        ("publish lengths wrap 32 bits", set_u32(publish(), 2256, u32::MAX),
            mismatch(MsgType::PUBLISH, 2271, 2264 + u32::MAX as u64 + 5), skip(2271)),
        ("publish without its length fields", resize(publish(), 2260),
            mismatch(MsgType::PUBLISH, 2260, 2264), skip(2260)),
        ("module length disagrees", set_u32(module(), 2264, 4),
            mismatch(MsgType::MODULE, 2272, 2273), skip(2272)),
        ("module without its length field", resize(module(), 2268),
            mismatch(MsgType::MODULE, 2268, 2269), skip(2268)),
        ("gossip count beyond totlen", set_u16(ping_with_hostname(), 14, 1),
            mismatch(MsgType::PING, 2272, 2360), skip(2272)),
        ("extension without EXT_DATA", { let mut w = ping_with_hostname(); w[2253] = 0; w },
            mismatch(MsgType::PING, 2272, 2256), skip(2272)),
        ("bytes after the extensions", resize(ping_with_hostname(), 2280),
            mismatch(MsgType::PING, 2280, 2272), skip(2280)),
        ("extension padding", set_u32(ping_with_hostname(), 2256, 12),
            BusError::ExtensionPadding { index: 0, ext_len: 12, totlen: 2272 }, skip(2272)),
        ("extension length zero", set_u32(ping_with_hostname(), 2256, 0),
            BusError::ExtensionLength { index: 0, ext_len: 0, totlen: 2272 }, skip(2272)),
        ("extension length above 16 bits", set_u32(ping_with_hostname(), 2256, 65536 + 16),
            BusError::ExtensionLength { index: 0, ext_len: 65552, totlen: 2272 }, skip(2272)),
        ("extension beyond totlen", set_u32(ping_with_hostname(), 2256, 24),
            BusError::ExtensionOverflow { index: 0, ext_len: 24, totlen: 2272 }, skip(2272)),
        ("extension header beyond totlen", set_u16(ping_with_hostname(), 2214, 2),
            BusError::ExtensionOverflow { index: 1, ext_len: 0, totlen: 2272 }, skip(2272)),
    ];
    for (name, bytes, error, disposition) in table {
        assert_eq!(decode(&bytes), Err(error.clone()), "{name}");
        assert_eq!(error.disposition(), disposition, "{name}");
        assert_eq!(error.closes_link(), disposition == CLOSE, "{name}");
        assert!(!error.to_string().is_empty());
        if disposition == CLOSE {
            // Judged on the prefix (16 bytes for the ping allowance), before the body arrives.
            let judged = if matches!(error, BusError::TooLong { max, .. } if max != DEFAULT_MAX_TOTLEN as u64)
            {
                16
            } else {
                8
            };
            assert_eq!(
                decode(&bytes[..judged]),
                Err(error.clone()),
                "{name} on the prefix"
            );
            assert_eq!(
                decode(&bytes[..judged - 1]),
                Ok(None),
                "{name} one byte short"
            );
        } else {
            // Skipped messages are judged only once whole, as Redis does.
            assert_eq!(
                decode(&bytes[..bytes.len() - 1]),
                Ok(None),
                "{name} one byte short"
            );
        }
    }
}

#[test]
fn peek_header_checks_only_the_prefix() {
    assert_eq!(peek_header(b"RCmb"), Ok(None));
    assert_eq!(
        peek_header(&[b'R', b'C', b'm', b'b', 0, 0, 8, 0xd0])
            .unwrap()
            .unwrap()
            .len(),
        2256
    );
    assert_eq!(
        peek_header(b"GET / HTTP/1.1\r\n"),
        Err(BusError::BadSignature { sig: *b"GET " })
    );
    assert!(peek_header(&[b'R', b'C', b'm', b'b', 0, 0, 8, 0xcf])
        .unwrap_err()
        .closes_link());
}

#[test]
fn limits_are_configurable() {
    let limits = Limits {
        max_totlen: 4000,
        max_ping_ext_bytes: 8,
    };
    let update = wire(Payload::Update {
        config_epoch: hashslot_types::Epoch(1),
        nodename: NodeId::from_raw([b'c'; 40]),
        slots: Box::new(SlotSet::new()),
    });
    assert_eq!(
        decode_with(&update, &limits),
        Err(BusError::TooLong {
            totlen: 4352,
            max: 4000
        })
    );
    assert_eq!(
        decode_with(&ping_with_hostname(), &limits),
        Err(BusError::TooLong {
            totlen: 2272,
            max: 2264
        })
    );
}
