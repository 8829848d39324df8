//! Writer and reader together: round trip, the cap, and damaged logs.

use std::borrow::Cow;

use bytes::Bytes;
use hashslot_node::Output;
use hashslot_types::ConnId;

use crate::*;

fn header(max_bytes: u64) -> Header {
    Header {
        hashslot_version: "test".into(),
        seed: 42,
        now: stamp(0),
        config: vec![("port".into(), "7000".into())],
        process: Process {
            pid: 9,
            executable: "/bin/node".into(),
            config_file: String::new(),
            os: "Linux".into(),
            arch_bits: 64,
        },
        max_bytes,
    }
}

fn stamp(ms: u64) -> Stamp {
    Stamp {
        mono_ns: ms * 1_000_000,
        wall_ms: 1_700_000_000_000 + ms as i64,
        wall_us: 3,
    }
}

fn read(conn: u64, data: &[u8], ms: u64) -> Input<'_> {
    Input::Read {
        now: stamp(ms),
        conn,
        data: Cow::Borrowed(data),
    }
}

fn reply(conn: u64) -> Output {
    Output::Send {
        conn: ConnId(conn),
        data: Bytes::from_static(b"+OK\r\n"),
    }
}

/// A log of `n` reads, each answered by one reply.
fn sample(n: u64, max_bytes: u64) -> (Vec<u8>, Vec<Written>) {
    let mut bytes = Vec::new();
    let mut results = Vec::new();
    let mut w = LogWriter::new(&mut bytes, &header(max_bytes)).expect("header fits");
    for i in 0..n {
        results.push(w.input(&read(i, b"*1\r\n$4\r\nPING\r\n", i)));
        w.output(&reply(i));
    }
    w.close().expect("close");
    (bytes, results)
}

fn frames(bytes: &[u8]) -> Result<(Header, Vec<Frame<'static>>), LogError> {
    let mut r = LogReader::new(bytes)?;
    let mut out = Vec::new();
    while let Some(f) = r.next_frame()? {
        out.push(match f {
            Frame::Input(i) => Frame::Input(i.into_owned()),
            Frame::Outputs(d) => Frame::Outputs(d),
            Frame::End(e) => Frame::End(e),
        });
    }
    Ok((r.header().clone(), out))
}

#[test]
fn round_trip_keeps_inputs_and_digests() {
    let (bytes, results) = sample(3, 1 << 20);
    assert!(results.iter().all(|r| *r == Written::Recorded));
    let (h, f) = frames(&bytes).expect("reads");
    assert_eq!(h, header(1 << 20));
    let mut one = DigestBuilder::new();
    one.add(&reply(1));
    assert_eq!(f.len(), 7);
    assert_eq!(f[2], Frame::Input(read(1, b"*1\r\n$4\r\nPING\r\n", 1)));
    assert_eq!(f[3], Frame::Outputs(one.digest()));
    assert_eq!(f[6], Frame::End(EndReason::Closed));
}

#[test]
fn every_input_kind_round_trips() {
    let now = stamp(5);
    let addr = "127.0.0.1:6379".parse().unwrap();
    let inputs = vec![
        Input::LoadClusterConfig {
            now,
            contents: Some(Cow::Borrowed(b"abc vars currentEpoch 0\n".as_slice())),
            result: Err("corrupt".into()),
        },
        Input::LoadClusterConfig {
            now,
            contents: None,
            result: Ok(()),
        },
        Input::LoadData {
            now,
            reads: vec![
                FileRead {
                    path: "dump.rdb".into(),
                    outcome: ReadOutcome::Found(Cow::Borrowed(b"REDIS0009".as_slice())),
                },
                FileRead {
                    path: "x".into(),
                    outcome: ReadOutcome::Missing,
                },
                FileRead {
                    path: "y".into(),
                    outcome: ReadOutcome::Failed("EACCES".into()),
                },
            ],
            result: Ok("LoadReport".into()),
        },
        Input::Accept {
            now,
            conn: 1,
            peer: addr,
            local: addr,
            fd: 7,
        },
        Input::Closed { now, conn: 1 },
        Input::Timeout { now },
        Input::ShutdownSignal { now },
        Input::ProcessStats {
            now,
            rss_bytes: 1,
            cpu_user: 0.5,
            cpu_sys: 0.25,
        },
        Input::ConfigRewritten {
            now,
            conn: 2,
            result: Ok(()),
        },
        Input::DirChanged {
            now,
            conn: 2,
            result: Err("No such file or directory".into()),
        },
        Input::AclFileAtStartup {
            reads: vec![FileRead {
                path: "users.acl".into(),
                outcome: ReadOutcome::Found(Cow::Borrowed(b"user alice on\n".as_slice())),
            }],
            result: Err("Aborting Redis startup because of ACL errors: x".into()),
        },
        Input::AclFileRead {
            now,
            conn: 4,
            outcome: ReadOutcome::Found(Cow::Borrowed(b"user default on nopass ~* +@all\n")),
        },
        Input::AclFileRead {
            now,
            conn: 4,
            outcome: ReadOutcome::Failed("No such file or directory".into()),
        },
        Input::AclFileSaved {
            now,
            conn: 4,
            result: Err("Renaming ACL file for ACL SAVE: Permission denied".into()),
        },
        Input::RdbFileRead {
            now,
            conn: 4,
            outcome: ReadOutcome::Found(Cow::Borrowed(b"REDIS0010\xff".as_slice())),
        },
        Input::RdbFileRead {
            now,
            conn: 4,
            outcome: ReadOutcome::Missing,
        },
        Input::BusAccept {
            now,
            link: 3,
            peer: addr,
            local: addr,
        },
        Input::BusConnected {
            now,
            link: 1 << 63,
            local: addr,
        },
        Input::BusRead {
            now,
            link: 3,
            data: Cow::Borrowed(b"RCmb".as_slice()),
        },
        Input::BusClosed { now, link: 3 },
        Input::PersistDone {
            now,
            token: 4,
            result: Err("ENOSPC".into()),
        },
        Input::MigrateConnected { now, id: 5 },
        Input::MigrateRead {
            now,
            id: 5,
            data: Cow::Borrowed(b"+OK\r\n".as_slice()),
        },
        Input::MigrateClosed { now, id: 5 },
        Input::ReplConnected { now, link: 6 },
        Input::ReplRead {
            now,
            link: 6,
            data: Cow::Borrowed(b"+PONG\r\n".as_slice()),
        },
        Input::ReplClosed { now, link: 6 },
    ];
    let mut bytes = Vec::new();
    let mut w = LogWriter::new(&mut bytes, &header(1 << 20)).unwrap();
    for i in &inputs {
        assert_eq!(w.input(i), Written::Recorded);
    }
    w.close().unwrap();
    let (_, f) = frames(&bytes).unwrap();
    let got: Vec<_> = f
        .into_iter()
        .filter_map(|f| match f {
            Frame::Input(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(got, inputs);
}

#[test]
fn cap_stops_recording_once_and_ends_cleanly() {
    let (bytes, results) = sample(1000, 2000);
    let stopped: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, Written::Stopped { newly: true, .. }))
        .collect();
    assert_eq!(stopped.len(), 1, "stopped once");
    assert!(matches!(
        stopped[0],
        Written::Stopped {
            reason: EndReason::CapReached,
            ..
        }
    ));
    assert!(bytes.len() <= 2000, "{} bytes", bytes.len());
    let (_, f) = frames(&bytes).expect("a capped log is a valid log");
    assert_eq!(f.last(), Some(&Frame::End(EndReason::CapReached)));
    let inputs = f.iter().filter(|f| matches!(f, Frame::Input(_))).count();
    let digests = f.iter().filter(|f| matches!(f, Frame::Outputs(_))).count();
    assert!(inputs > 10);
    assert_eq!(inputs, digests, "every recorded input has its outputs");
}

#[test]
fn cap_smaller_than_header_is_refused() {
    let err = LogWriter::new(Vec::new(), &header(50)).unwrap_err();
    assert!(err.to_string().contains("too small"), "{err}");
}

#[test]
fn every_truncation_is_reported_not_panicked() {
    let (bytes, _) = sample(3, 1 << 20);
    let (_, whole) = frames(&bytes).unwrap();
    let mut boundaries = 0;
    for cut in 0..bytes.len() {
        match frames(&bytes[..cut]) {
            Err(LogError::NotALog) => assert!(cut < 8),
            Err(LogError::Truncated { .. }) => {}
            Ok((_, f)) => {
                // A cut exactly between frames reads as a log without its end marker.
                boundaries += 1;
                assert!(f.len() < whole.len());
                assert_eq!(f[..], whole[..f.len()]);
            }
            Err(e) => panic!("cut at {cut}: unexpected {e}"),
        }
    }
    assert_eq!(boundaries, whole.len(), "one clean cut per frame boundary");
}

#[test]
fn every_flipped_byte_is_reported_or_harmless() {
    let (bytes, _) = sample(3, 1 << 20);
    let (h0, whole) = frames(&bytes).unwrap();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x20;
        match frames(&b) {
            Ok((h, f)) => panic!(
                "flip at {i} went unnoticed (header same: {}, frames same: {})",
                h == h0,
                f == whole
            ),
            Err(e) => {
                let text = e.to_string();
                assert!(!text.is_empty());
            }
        }
    }
}

#[test]
fn bad_magic_and_version_are_named() {
    let (mut bytes, _) = sample(1, 1 << 20);
    assert!(matches!(
        frames(b"GIF89a..........").unwrap_err(),
        LogError::NotALog
    ));
    bytes[8] = 99;
    let err = frames(&bytes).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}

#[test]
fn huge_length_does_not_allocate() {
    let (bytes, _) = sample(1, 1 << 20);
    let mut b = bytes[..12].to_vec();
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(b"short");
    let err = frames(&b).unwrap_err();
    assert!(
        matches!(err, LogError::Truncated { needed, available: 13, .. } if needed == 8 + u64::from(u32::MAX)),
        "{err}"
    );
}
