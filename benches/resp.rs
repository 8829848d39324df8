//! Benchmarks of the RESP hot paths: parsing client requests and writing replies, next to the
//! `redis-protocol` crate on the same bytes.
//!
//! Run: `cargo bench --bench resp -- --warm-up-time 1 --measurement-time 3`.
//! Throughput is in elements = commands (or replies), so criterion prints time per command.
//!
//! Inputs are shaped like `redis-benchmark -P 16` traffic: 16 pipelined `SET key:<12 digits>
//! xxx` or `GET key:<12 digits>`, a pipeline of 1000 SETs, and one MSET of 1000 pairs.
//! `redis-protocol` is measured two ways: `decode_bytes_mut` (what its codec does: split the
//! `BytesMut` and build `BytesFrame`s; the setup copying the input into a `BytesMut` is not
//! timed), and `decode_range` (its zero-copy core: ranges into a `&[u8]`, no `Bytes`).

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hashslot::resp::{decode, decode_bytes, Limits, Proto, Reply, RequestParser};
use redis_protocol::resp2::decode::{decode_bytes_mut, decode_range};
use redis_protocol::resp2::encode::extend_encode_borrowed;
use redis_protocol::resp2::types::BorrowedFrame;

fn set_cmd(i: usize) -> String {
    let key = format!("key:{i:012}");
    format!(
        "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$3\r\nxxx\r\n",
        key.len()
    )
}

fn get_cmd(i: usize) -> String {
    let key = format!("key:{i:012}");
    format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len())
}

fn mset(pairs: usize) -> Vec<u8> {
    let mut out = format!("*{}\r\n$4\r\nMSET\r\n", 1 + 2 * pairs).into_bytes();
    for i in 0..pairs {
        let key = format!("key:{i:012}");
        out.extend_from_slice(format!("${}\r\n{key}\r\n$3\r\nxxx\r\n", key.len()).as_bytes());
    }
    out
}

/// The inputs: name, bytes, number of commands in them.
fn inputs() -> Vec<(&'static str, Vec<u8>, usize)> {
    let pipeline = |n: usize, f: fn(usize) -> String| -> Vec<u8> {
        (0..n)
            .map(|i| f(i * 7919 % 100_000))
            .collect::<String>()
            .into_bytes()
    };
    vec![
        ("set_p16", pipeline(16, set_cmd), 16),
        ("get_p16", pipeline(16, get_cmd), 16),
        ("set_p1000", pipeline(1000, set_cmd), 1000),
        ("mset_1000_pairs", mset(1000), 1),
    ]
}

/// Ours: parse every request, touch every argument (as a command lookup would).
fn ours(parser: &mut RequestParser, input: &[u8]) -> usize {
    let (mut rest, mut total) = (input, 0);
    while let Ok(Some(n)) = parser.parse(rest) {
        total += parser.args(rest).map(<[u8]>::len).sum::<usize>();
        rest = &rest[n..];
        parser.reset();
    }
    total
}

fn bench_requests(c: &mut Criterion) {
    for (name, input, commands) in inputs() {
        let mut g = c.benchmark_group(format!("request/{name}"));
        g.throughput(Throughput::Elements(commands as u64));
        let mut parser = RequestParser::new(Limits::default());
        g.bench_function("hashslot RequestParser", |b| {
            b.iter(|| ours(&mut parser, black_box(&input)))
        });
        g.bench_function("hashslot decode (Frame)", |b| {
            b.iter(|| {
                let (mut rest, mut frames) = (black_box(&input[..]), 0);
                while let Ok(Some((frame, n))) = decode(rest, &Limits::default()) {
                    black_box(frame);
                    rest = &rest[n..];
                    frames += 1;
                }
                frames
            })
        });
        let shared = bytes::Bytes::from(input.clone());
        g.bench_function("hashslot decode_bytes (Frame, zero-copy)", |b| {
            b.iter(|| {
                let (mut rest, mut frames) = (black_box(shared.clone()), 0);
                while let Ok(Some((frame, n))) = decode_bytes(&rest, &Limits::default()) {
                    black_box(frame);
                    let _ = rest.split_to(n);
                    frames += 1;
                }
                frames
            })
        });
        g.bench_function("redis-protocol decode_bytes_mut", |b| {
            b.iter_batched(
                || BytesMut::from(&input[..]),
                |mut buf| {
                    let mut frames = 0;
                    while let Ok(Some((frame, _, _))) = decode_bytes_mut(&mut buf) {
                        black_box(frame);
                        frames += 1;
                    }
                    frames
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function("redis-protocol decode_range", |b| {
            b.iter(|| {
                let (mut rest, mut frames) = (black_box(&input[..]), 0);
                while let Ok(Some((frame, n))) = decode_range(rest) {
                    black_box(frame);
                    rest = &rest[n..];
                    frames += 1;
                }
                frames
            })
        });
        g.finish();
    }
}

fn bench_replies(c: &mut Criterion) {
    let n = 16;
    let mut g = c.benchmark_group("reply/p16");
    g.throughput(Throughput::Elements(2 * n as u64));
    let mut out = Vec::with_capacity(4096);
    g.bench_function("hashslot Reply (+OK, $3 xxx)", |b| {
        b.iter(|| {
            out.clear();
            let mut reply = Reply::new(&mut out, Proto::Resp2);
            for _ in 0..n {
                reply.ok();
                reply.bulk(black_box(b"xxx"));
            }
            out.len()
        })
    });
    let mut buf = BytesMut::with_capacity(4096);
    g.bench_function("redis-protocol extend_encode_borrowed", |b| {
        b.iter(|| {
            buf.clear();
            for _ in 0..n {
                let _ =
                    extend_encode_borrowed(&mut buf, &BorrowedFrame::SimpleString(b"OK"), false);
                let _ = extend_encode_borrowed(
                    &mut buf,
                    &BorrowedFrame::BulkString(black_box(b"xxx")),
                    false,
                );
            }
            buf.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_requests, bench_replies);
criterion_main!(benches);
