//! Seeded random bytes on a connection: the server answers what it can parse, closes the
//! connection (at the latest when we half-close), stays alive with bounded memory, and a client
//! connected before still gets PONG. When redis-server is on PATH, the whole transcript must also
//! equal Redis's for the same bytes.
//!
//! See [`payload`] for the three kinds of garbage. The bytes exclude NUL: Redis 7.0 looks for line ends with C string search (`strchr`), which
//! stops at a NUL, so a NUL before a newline makes it wait for 64 KB more input; that artefact of
//! C strings is not something we ask the node to copy. Everything else (inline splitting with
//! quotes, unknown-command texts with raw argument bytes, multibulk errors) is compared.
mod support;

use support::attack::{attack, send_chunked, MAX_RSS_GROWTH_KB};
use support::{escape, split_replies, Flavor, Rng, Server};

const SEEDS: std::ops::RangeInclusive<u64> = 1..=12;
const LEN: usize = 32 * 1024;

/// Three kinds of garbage, by `seed % 3`:
/// 0. uniform random bytes (no NUL): mostly ends in an inline "unbalanced quotes" error;
/// 1. random bytes from an alphabet without quotes or backslashes (letters, digits, space, CR,
///    LF, `*`, `$`, `-`, high bytes): many inline unknown-command errors with raw argument bytes,
///    and multibulk header errors;
/// 2. a valid stream of SET/GET/INCR/PING multibulk commands with a few bytes overwritten:
///    real replies mixed with multibulk/bulk protocol errors.
fn payload(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    match seed % 3 {
        0 => rng
            .bytes(LEN)
            .into_iter()
            .map(|b| if b == 0 { 1 } else { b })
            .collect(),
        1 => {
            const ALPHABET: &[u8] = b"abcXYZ019 \r\n*$-:+\x80\xfe";
            (0..LEN)
                .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize])
                .collect()
        }
        _ => {
            let mut out = Vec::new();
            while out.len() < LEN {
                let key = format!("k{}", rng.next_u64() % 8);
                let cmd: Vec<&[u8]> = match rng.next_u64() % 4 {
                    0 => vec![b"SET", key.as_bytes(), b"value"],
                    1 => vec![b"GET", key.as_bytes()],
                    2 => vec![b"INCR", b"counter"],
                    _ => vec![b"PING"],
                };
                out.extend(support::encode_command(&cmd));
            }
            for _ in 0..4 {
                let at = (rng.next_u64() % out.len() as u64) as usize;
                out[at] = (rng.next_u64() % 255) as u8 + 1;
            }
            out
        }
    }
}

/// The transcript for each seed, after checking the common properties.
fn transcripts(flavor: Flavor) -> Vec<Vec<u8>> {
    let mut server = Server::start(flavor, &[]);
    let mut out = Vec::new();
    for seed in SEEDS {
        let bytes = payload(seed);
        // Odd chunk sizes, so requests straddle reads.
        let o = attack(&mut server, |s| {
            send_chunked(s, &bytes, 1000 + seed as usize * 777)
        });
        assert!(
            o.ending.is_closed(),
            "seed {seed}: connection not closed: {:?}",
            o.ending
        );
        assert!(
            o.rss_growth_kb < MAX_RSS_GROWTH_KB,
            "seed {seed}: RSS grew {} KiB",
            o.rss_growth_kb
        );
        match split_replies(&o.reply) {
            Ok(replies) => {
                eprintln!(
                    "{} seed {seed}: {} replies, last {}",
                    flavor.label(),
                    replies.len(),
                    replies
                        .last()
                        .map(|r| escape(&r[..r.len().min(60)]))
                        .unwrap_or_default()
                );
                for r in &replies {
                    assert!(
                        r.starts_with(b"-ERR ") || [b'+', b':', b'$'].contains(&r[0]),
                        "seed {seed}: unexpected reply {}",
                        escape(r)
                    );
                }
            }
            Err((_, e)) => panic!(
                "seed {seed}: {}: not a sequence of replies: {e}",
                flavor.label()
            ),
        }
        out.push(o.reply);
    }
    out
}

#[test]
fn random_bytes_are_survived_like_redis() {
    let ours = transcripts(Flavor::Node);
    if support::require_tool("redis-server").is_none() {
        return;
    }
    let redis = transcripts(Flavor::Redis);
    let mut bad = Vec::new();
    for (i, seed) in SEEDS.enumerate() {
        if ours[i] != redis[i] {
            let r = split_replies(&redis[i]).unwrap_or_else(|(v, _)| v);
            let o = split_replies(&ours[i]).unwrap_or_else(|(v, _)| v);
            let at = r
                .iter()
                .zip(&o)
                .position(|(a, b)| a != b)
                .unwrap_or(r.len().min(o.len()));
            bad.push(format!(
                "seed {seed}: {} redis replies, {} ours; first difference at reply {at}:\n  redis:    {}\n  hashslot: {}",
                r.len(),
                o.len(),
                r.get(at).map(|x| escape(x)).unwrap_or_else(|| "<none>".into()),
                o.get(at).map(|x| escape(x)).unwrap_or_else(|| "<none>".into()),
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "transcripts differ from redis-server:\n{}",
        bad.join("\n")
    );
}

#[test]
fn redis_reference_survives_random_bytes() {
    if support::require_tool("redis-server").is_some() {
        transcripts(Flavor::Redis);
    }
}
