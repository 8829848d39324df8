//! Hostile-client scenarios: send bad bytes on one connection while a witness connection,
//! opened before, checks the server still answers; watch the server's RSS.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{escape, Ending, Server};

/// How long the attacked connection may stay open after the attack.
pub const CLOSE_DEADLINE: Duration = Duration::from_secs(15);
/// Largest RSS growth we accept from one attack.
pub const MAX_RSS_GROWTH_KB: i64 = 64 * 1024;

/// What one attack produced.
#[derive(Debug)]
pub struct Outcome {
    /// Every byte the server sent on the attacked connection.
    pub reply: Vec<u8>,
    /// How that connection ended.
    pub ending: Ending,
    /// VmRSS after minus before, KiB.
    pub rss_growth_kb: i64,
    /// Bytes we managed to write before the server stopped reading.
    pub sent: usize,
}

/// Open a witness (checked with PING), then attack: `send` writes to the attacked socket
/// (stopping at the first write error, which it returns as `Err`) while a reader thread collects
/// the replies until the server closes. Afterwards the witness must still get PONG and the process
/// must be alive. Panics with the server's logs otherwise.
pub fn attack(
    server: &mut Server,
    send: impl FnOnce(&mut TcpStream) -> (usize, std::io::Result<()>),
) -> Outcome {
    let mut witness = server.connect();
    assert_eq!(
        witness.cmd(&["PING"]),
        b"+PONG\r\n",
        "witness PING before the attack"
    );
    let rss0 = server.vm_rss_kb().unwrap_or(0) as i64;

    let mut stream = TcpStream::connect(server.addr()).expect("connect attacker");
    stream.set_nodelay(true).unwrap();
    stream.set_write_timeout(Some(CLOSE_DEADLINE)).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let collector = std::thread::spawn(move || {
        let end = Instant::now() + CLOSE_DEADLINE;
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (out, Ending::Timeout);
            }
            reader
                .set_read_timeout(Some(left.min(Duration::from_millis(500))))
                .unwrap();
            match reader.read(&mut buf) {
                Ok(0) => return (out, Ending::Closed),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return (out, Ending::Reset)
                }
                Err(e) => return (out, Ending::Error(e.to_string())),
            }
        }
    });
    let (sent, _write_result) = send(&mut stream);
    // We are done talking; a server that waits for more must still close on EOF.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let (reply, ending) = collector.join().expect("reader thread");
    let rss1 = server.vm_rss_kb().unwrap_or(0) as i64;

    assert!(
        server.is_alive(),
        "server died under attack\n{}",
        server.logs()
    );
    witness
        .send(&["PING"])
        .expect("witness send after the attack");
    let pong = witness.read_reply().unwrap_or_else(|e| {
        panic!(
            "witness got no reply after the attack: {e}\n{}",
            server.logs()
        )
    });
    assert_eq!(
        escape(&pong),
        escape(b"+PONG\r\n"),
        "witness PING after the attack"
    );
    Outcome {
        reply,
        ending,
        rss_growth_kb: rss1 - rss0,
        sent,
    }
}

/// Write `payload` in chunks of `chunk` bytes; stop at the first error.
pub fn send_chunked(
    stream: &mut TcpStream,
    payload: &[u8],
    chunk: usize,
) -> (usize, std::io::Result<()>) {
    let mut sent = 0;
    for c in payload.chunks(chunk) {
        if let Err(e) = stream.write_all(c) {
            return (sent, Err(e));
        }
        sent += c.len();
    }
    (sent, Ok(()))
}

/// The common assertions: exactly `want` came back, the connection was closed, RSS bounded.
pub fn assert_protocol_error(out: &Outcome, want: &[u8]) {
    assert_eq!(escape(&out.reply), escape(want), "reply to the bad input");
    assert!(
        out.ending.is_closed(),
        "connection not closed after a protocol error: {:?}",
        out.ending
    );
    assert!(
        out.rss_growth_kb < MAX_RSS_GROWTH_KB,
        "RSS grew by {} KiB (limit {MAX_RSS_GROWTH_KB})",
        out.rss_growth_kb
    );
}
