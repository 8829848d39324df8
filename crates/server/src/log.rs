//! Log lines in Redis's format: `<pid>:M 24 Nov 2026 23:08:17.123 * message`.
//!
//! Like Redis, the log file is opened in append mode for each line and closed again, so a
//! rotated file (logrotate moving it away) is recreated on the next line without a signal.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use hashslot_node::LogLevel;

use crate::sys;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Where and what to log.
#[derive(Debug, Clone)]
pub struct Logger {
    /// `logfile`; empty means standard output (/dev/null once daemonized, as in Redis).
    pub logfile: String,
    /// Lines below this level are dropped.
    pub level: LogLevel,
}

/// Redis's one-character mark for a level (`.` debug, `-` verbose, `*` notice, `#` warning).
fn mark(level: LogLevel) -> char {
    match level {
        LogLevel::Debug => '.',
        LogLevel::Verbose => '-',
        LogLevel::Notice => '*',
        LogLevel::Warning => '#',
    }
}

/// Redis's `LOG_MAX_LEN`: `serverLog` formats a message into a buffer of this size, so a
/// logged message keeps at most this many bytes less one (the C string's terminator).
pub const LOG_MAX_LEN: usize = 1024;

/// One formatted line (with its newline) for `message` at wall time `now`. The message is cut
/// at `LOG_MAX_LEN - 1` bytes as Redis cuts it, even inside a UTF-8 sequence (Redis writes the
/// bytes it kept).
pub fn format_line(pid: u32, now: SystemTime, level: LogLevel, message: &str) -> Vec<u8> {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (day, mon, year, h, m, s) = sys::localtime(since.as_secs() as i64);
    let ms = since.subsec_millis();
    // The role character: hashslot has no forked children, and the driver does not know the
    // replication role, so always `M`.
    let mut line = format!(
        "{pid}:M {day:02} {} {year} {h:02}:{m:02}:{s:02}.{ms:03} {} ",
        MONTHS[mon as usize % 12],
        mark(level)
    )
    .into_bytes();
    let kept = &message.as_bytes()[..message.len().min(LOG_MAX_LEN - 1)];
    line.extend_from_slice(kept);
    line.push(b'\n');
    line
}

impl Logger {
    /// Write `message` at `level`, unless the level is filtered out. Errors are dropped: there is
    /// nowhere left to report them (Redis does the same).
    pub fn log(&self, level: LogLevel, message: &str) {
        if level < self.level {
            return;
        }
        let line = format_line(std::process::id(), SystemTime::now(), level, message);
        self.raw(&line);
    }

    /// Write bytes as they are (no prefix, no filter).
    pub fn raw(&self, bytes: &[u8]) {
        if self.logfile.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(bytes);
            let _ = out.flush();
        } else if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.logfile)
        {
            let _ = f.write_all(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shape() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        let line = String::from_utf8(format_line(42, t, LogLevel::Warning, "hello")).unwrap();
        // `42:M DD Mon YYYY HH:MM:SS.123 # hello\n`, whatever the local time zone.
        assert!(line.starts_with("42:M "), "{line}");
        assert!(line.ends_with(".123 # hello\n"), "{line}");
        let parts: Vec<_> = line.split(' ').collect();
        assert_eq!(parts[1].len(), 2);
        assert!(MONTHS.contains(&parts[2]));
        assert_eq!(parts[4].len(), "23:08:17.123".len());
    }

    #[test]
    fn long_messages_are_cut_as_redis_cuts_them() {
        let t = UNIX_EPOCH;
        let head = format_line(1, t, LogLevel::Notice, "").len() - 1;
        let exact = "x".repeat(LOG_MAX_LEN - 1);
        assert_eq!(
            format_line(1, t, LogLevel::Notice, &exact).len(),
            head + 1023 + 1
        );
        let long = format!("{exact}yz");
        let line = format_line(1, t, LogLevel::Notice, &long);
        assert_eq!(&line[head..], format!("{exact}\n").as_bytes());
        // A cut inside a multi-byte character keeps its first bytes, as Redis would.
        let euro = format!("{}\u{20ac}", "x".repeat(LOG_MAX_LEN - 2));
        let line = format_line(1, t, LogLevel::Notice, &euro);
        assert_eq!(line[line.len() - 2..], [0xe2, b'\n']);
    }
}
