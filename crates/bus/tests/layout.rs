//! The encoder puts every field where `cluster.h` says, big-endian, and zeroes the rest.

use hashslot_bus::{
    encode, ClusterState, GossipEntry, Header, Message, MessageFlags, NetIp, NodeFlags, Payload,
    PingExt,
};
use hashslot_types::{Epoch, NodeId, ReplOffset, Slot, SlotSet};

fn id(c: u8) -> NodeId {
    NodeId::from_raw([c; 40])
}

#[test]
fn header_and_gossip_offsets() {
    let mut myslots = SlotSet::new();
    myslots.insert(Slot::new(0).unwrap());
    myslots.insert(Slot::new(9).unwrap());
    myslots.insert(Slot::new(16383).unwrap());
    let header = Header {
        port: 0x0102,
        current_epoch: Epoch(0x0304),
        config_epoch: Epoch(0x0506),
        offset: ReplOffset(-1),
        sender: id(b's'),
        myslots,
        slaveof: Some(id(b'm')),
        myip: NetIp::new(b"10.0.0.1").unwrap(),
        pport: 0x0708,
        cport: 0x090a,
        flags: NodeFlags::SLAVE | NodeFlags::MYSELF | NodeFlags::NOFAILOVER,
        state: ClusterState::FAIL,
        mflags: MessageFlags::PAUSED.union(MessageFlags::EXT_DATA), // EXT_DATA is the encoder's
    };
    let gossip = GossipEntry {
        nodename: id(b'g'),
        ping_sent: 0x0b0c0d0e,
        pong_received: 0x0f101112,
        ip: NetIp::new(b"::1").unwrap(),
        port: 0x1314,
        cport: 0x1516,
        flags: NodeFlags::MASTER | NodeFlags::PFAIL,
        pport: 0x1718,
    };
    let hostname = b"h1.example.com"; // 14 bytes: extension length 8 + 16 = 24
    let msg = Message {
        header,
        payload: Payload::Pong {
            gossip: vec![gossip],
            extensions: vec![PingExt::Hostname(hostname.to_vec())],
        },
    };
    let mut w = Vec::new();
    encode(&msg, &mut w).unwrap();

    let mut expect = vec![0u8; 2256 + 104 + 24];
    let mut put = |at: usize, b: &[u8]| expect[at..at + b.len()].copy_from_slice(b);
    put(0, b"RCmb");
    put(4, &(2256u32 + 104 + 24).to_be_bytes());
    put(8, &[0, 1]); // ver
    put(10, &[1, 2]); // port
    put(12, &[0, 1]); // type PONG
    put(14, &[0, 1]); // count
    put(16, &0x0304u64.to_be_bytes());
    put(24, &0x0506u64.to_be_bytes());
    put(32, &[0xff; 8]); // offset -1
    put(40, &[b's'; 40]);
    put(80, &[0x01]); // slot 0: byte 0 bit 0
    put(81, &[0x02]); // slot 9: byte 1 bit 1
    put(80 + 2047, &[0x80]); // slot 16383: byte 2047 bit 7
    put(2128, &[b'm'; 40]);
    put(2168, b"10.0.0.1");
    put(2214, &[0, 1]); // extensions
    put(2246, &[7, 8]);
    put(2248, &[9, 10]);
    put(2250, &[0x02, 0x12]); // SLAVE|MYSELF|NOFAILOVER = 0x212
    put(2252, &[1]); // state
    put(2253, &[0x01 | 0x04, 0, 0]); // PAUSED | EXT_DATA
    let g = 2256;
    put(g, &[b'g'; 40]);
    put(g + 40, &[0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12]);
    put(g + 48, b"::1");
    put(g + 94, &[0x13, 0x14, 0x15, 0x16, 0, 0x05, 0x17, 0x18]);
    let e = g + 104;
    put(e, &[0, 0, 0, 24, 0, 0, 0, 0]);
    put(e + 8, hostname);
    assert_eq!(w, expect);
}

#[test]
fn ext_data_is_cleared_without_extensions_and_on_other_types() {
    let mut header = Header::new(id(b'a'));
    header.mflags = MessageFlags::EXT_DATA.union(MessageFlags::FORCEACK);
    for payload in [
        Payload::Ping {
            gossip: vec![],
            extensions: vec![],
        },
        Payload::FailoverAuthRequest,
    ] {
        let mut w = Vec::new();
        encode(
            &Message {
                header: header.clone(),
                payload,
            },
            &mut w,
        )
        .unwrap();
        assert_eq!(w[2253], MessageFlags::FORCEACK.0);
    }
}

#[test]
fn fixed_payloads() {
    let header = Header::new(id(b'a'));
    let enc = |payload| {
        let mut w = Vec::new();
        encode(
            &Message {
                header: header.clone(),
                payload,
            },
            &mut w,
        )
        .unwrap();
        w
    };
    let w = enc(Payload::Fail { nodename: id(b'f') });
    assert_eq!((w.len(), &w[2256..]), (2296, &[b'f'; 40][..]));
    assert!(
        w[2128..2168].iter().all(|&b| b == 0),
        "a master's slaveof is all zero"
    );

    let w = enc(Payload::Publish {
        channel: b"ch".to_vec(),
        message: b"msg".to_vec(),
    });
    assert_eq!(&w[2256..], b"\0\0\0\x02\0\0\0\x03chmsg");

    let w = enc(Payload::Module {
        module_id: *b"ABCDEFGH",
        module_type: 5,
        payload: b"p".to_vec(),
    });
    assert_eq!(&w[2256..], b"ABCDEFGH\0\0\0\x01\x05p");

    let mut slots = SlotSet::new();
    slots.insert(Slot::new(8).unwrap());
    let w = enc(Payload::Update {
        config_epoch: Epoch(9),
        nodename: id(b'u'),
        slots: Box::new(slots),
    });
    assert_eq!(w.len(), 4352);
    assert_eq!(&w[2256..2264], &9u64.to_be_bytes());
    assert_eq!(&w[2264..2304], &[b'u'; 40]);
    assert_eq!(w[2305], 1);
    assert_eq!(&w[4..8], &4352u32.to_be_bytes());

    for (payload, t) in [
        (Payload::FailoverAuthRequest, 5u8),
        (Payload::FailoverAuthAck, 6),
        (Payload::MfStart, 8),
    ] {
        let w = enc(payload);
        assert_eq!((w.len(), w[13], w[15]), (2256, t, 0));
    }
}
