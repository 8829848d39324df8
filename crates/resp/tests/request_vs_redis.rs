//! Differential test against a real Redis 7.0: random request streams (well-formed and
//! corrupted, multibulk and inline) are sent to `redis-server` and given to the parser; the
//! replies Redis sends must be the replies the parsed requests call for.
//!
//! Runs only when `HASHSLOT_REDIS_PORT` names a local redis-server without a password, e.g.
//! `redis-server --port 17391 --save '' & HASHSLOT_REDIS_PORT=17391 cargo test -p hashslot-resp
//! --test request_vs_redis`. Every request is `ECHO <arg>` (or a corruption of one), because
//! its reply shows the argument Redis parsed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hashslot_resp::{decode, Frame, Limits, ProtocolError, RequestParser};

/// xorshift64*: a fixed, seeded generator, so a failure is replayed from its case number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a [u8]]) -> &'a [u8] {
        items[self.below(items.len())]
    }
}

const ALPHABET: &[u8] = b"ab \"'\\x41\t\r\n\0*$\x0b\xff";

fn request(rng: &mut Rng) -> Vec<u8> {
    let arg: Vec<u8> = (0..rng.below(6))
        .map(|_| ALPHABET[rng.below(ALPHABET.len())])
        .collect();
    let mut out = Vec::new();
    match rng.below(5) {
        0 | 1 => {
            out.extend_from_slice(format!("*2\r\n$4\r\nECHO\r\n${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(&arg);
            out.extend_from_slice(b"\r\n");
        }
        2 => {
            out.extend_from_slice(b"ECHO \"");
            for b in &arg {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
            out.extend_from_slice(b"\"\r\n");
        }
        3 => {
            out.extend_from_slice(b"echo ");
            out.extend_from_slice(&arg);
            out.extend_from_slice(b"\n");
        }
        _ => out.extend_from_slice(rng.pick(&[b"*0\r\n", b"\r\n", b"*-1\r\n", b" \n"])),
    }
    out
}

fn stream(rng: &mut Rng) -> Vec<u8> {
    let mut out: Vec<u8> = (0..1 + rng.below(4)).flat_map(|_| request(rng)).collect();
    for _ in 0..rng.below(3) {
        let at = rng.below(out.len() + 1);
        let noise = rng.pick(&[
            b"*", b"$", b"\r", b"\n", b"1", b"-", b"0", b"\"", b"'", b"\0", b"x",
        ]);
        if rng.below(2) == 0 && at < out.len() {
            out[at] = noise[0];
        } else {
            out.splice(at..at, noise.iter().copied());
        }
    }
    out
}

/// The replies a server built on the parser would send, and whether it ends waiting.
fn expected(input: &[u8]) -> (Vec<Frame>, bool) {
    let mut parser = RequestParser::new(Limits::default());
    let (mut rest, mut replies) = (input, Vec::new());
    loop {
        match parser.parse(rest) {
            Ok(Some(n)) => {
                let args: Vec<&[u8]> = parser.args(rest).collect();
                if args.len() == 2 && args[0].eq_ignore_ascii_case(b"echo") {
                    replies.push(Frame::bulk(args[1]));
                } else if !args.is_empty() {
                    replies.push(Frame::simple("<error>"));
                }
                rest = &rest[n..];
                parser.reset();
            }
            Ok(None) => return (replies, true),
            Err(e) => {
                replies.push(Frame::Error(error_text(&e).into()));
                return (replies, false);
            }
        }
    }
}

/// `-ERR <e>` as Redis writes it: the byte itself for `%c`, CR and LF turned into spaces.
fn error_text(e: &ProtocolError) -> Vec<u8> {
    let mut text = b"ERR ".to_vec();
    match e {
        ProtocolError::ExpectedDollar(c) => {
            text.extend_from_slice(b"Protocol error: expected '$', got '");
            text.push(*c as u32 as u8);
            text.push(b'\'');
        }
        other => text.extend_from_slice(other.to_string().as_bytes()),
    }
    text.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

/// What Redis answered, and whether it kept the connection open (waiting for more).
fn redis(port: u16, input: &[u8]) -> (Vec<Frame>, bool) {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect to redis-server");
    conn.set_read_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    conn.write_all(input).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let open = loop {
        match conn.read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => break true,
        }
    };
    let (mut rest, mut replies) = (&got[..], Vec::new());
    while let Some((frame, n)) = decode(rest, &Limits::default()).expect("Redis speaks RESP") {
        replies.push(match frame {
            Frame::Error(text) if !text.starts_with(b"ERR Protocol error") => {
                Frame::simple("<error>")
            }
            other => other,
        });
        rest = &rest[n..];
    }
    (replies, open)
}

#[test]
fn random_streams_get_the_replies_redis_sends() {
    let Some(port) = std::env::var("HASHSLOT_REDIS_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
    else {
        eprintln!("HASHSLOT_REDIS_PORT not set: skipping the differential test");
        return;
    };
    let cases: u64 = std::env::var("HASHSLOT_DIFF_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300);
    for case in 0..cases {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case + 1).wrapping_mul(0x1000_0000_01b3));
        let input = stream(&mut rng);
        assert_eq!(
            redis(port, &input),
            expected(&input),
            "case {case}: {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}
