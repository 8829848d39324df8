//! Loading redis.conf text into a [`Config`]: lines, comments, `include`, `dir`, and Redis's
//! fatal error report.
//!
//! The order is Redis's (`loadServerConfig` / `loadServerConfigFromString`): the file, then
//! standard input, then a newline and the command-line options, parsed as one text so line
//! numbers match redis-server's. `include` loads another file recursively at its place (its
//! lines are numbered within that file), and `dir` changes directory the moment it is read, so
//! later relative paths (includes, logfile, pidfile) resolve as in Redis.

use std::fmt;
use std::io::Read;

use hashslot_node::{Applied, Config};

use crate::splitargs::split_args;
use crate::sys;

/// The Redis version whose behaviour we reproduce (shown in the fatal error header).
pub const REDIS_VERSION: &str = "7.0.15";

/// Deeper `include` chains are refused; Redis has no limit and would overflow its stack.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Where a config line came from, to name it in error reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, as named (the top file or an include).
    File(String),
    /// Standard input (`-`).
    Stdin,
    /// A `--directive value` option.
    CommandLine,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "in '{path}'"),
            Source::Stdin => f.write_str("from standard input"),
            Source::CommandLine => f.write_str("from the command line"),
        }
    }
}

/// Why the configuration could not be loaded; the process prints it and exits 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A bad line: printed in Redis's `*** FATAL CONFIG FILE ERROR ***` format.
    Line {
        /// 1-based line number as Redis counts it.
        line: usize,
        /// Where the line came from.
        source: Source,
        /// The line, trimmed, as read.
        text: Vec<u8>,
        /// The reason.
        message: String,
    },
    /// A check after all lines were read (`Can't open the log file: …`); no line is shown.
    Final(String),
    /// A config file could not be opened: Redis logs this as a warning and exits 1.
    Open {
        /// The path.
        path: String,
        /// The OS error text.
        error: String,
    },
}

impl LoadError {
    /// The report as Redis prints it to standard error (for `Line` and `Final`), or the log
    /// message (for `Open`).
    pub fn report(&self) -> Vec<u8> {
        let head = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
        let mut out = head.into_bytes();
        match self {
            LoadError::Line {
                line,
                source,
                text,
                message,
            } => {
                // Redis's words first, so tools matching them still match; then the file,
                // which Redis does not name (we need it once includes are involved).
                let at = format!("Reading the configuration file, at line {line} ({source})\n");
                out.extend_from_slice(at.as_bytes());
                out.extend_from_slice(b">>> '");
                out.extend_from_slice(text);
                out.extend_from_slice(b"'\n");
                out.extend_from_slice(message.as_bytes());
                out.push(b'\n');
            }
            LoadError::Final(message) => {
                out.extend_from_slice(message.as_bytes());
                out.push(b'\n');
            }
            LoadError::Open { path, error } => {
                return format!("Fatal error, can't open config file '{path}': {error}")
                    .into_bytes()
            }
        }
        out
    }
}

/// The outcome of loading: the configuration and the directives it stored but does not act on.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Names of directives that returned [`Applied::Ignored`], in first-seen order, no repeats.
    pub ignored: Vec<String>,
}

/// Loads config text into a [`Config`], following includes.
#[derive(Debug)]
struct Loader {
    config: Config,
    ignored: Vec<String>,
    depth: usize,
}

/// Load the configuration as redis-server does from its command line parts: `file` (if any),
/// then standard input (if `from_stdin`), then `options` (config text from `--` options).
pub fn load(file: Option<&str>, from_stdin: bool, options: &[u8]) -> Result<Loaded, LoadError> {
    let mut text = Vec::new();
    let mut sources = Vec::new();
    if let Some(path) = file {
        read_file(path, &mut text)?;
        sources.push((count_lines(&text), Source::File(path.to_string())));
    }
    if from_stdin {
        std::io::stdin()
            .read_to_end(&mut text)
            .map_err(|e| LoadError::Open {
                path: "-".into(),
                error: sys::strerror(&e),
            })?;
        sources.push((count_lines(&text), Source::Stdin));
    }
    if !options.is_empty() {
        text.push(b'\n');
        text.extend_from_slice(options);
    }
    sources.push((usize::MAX, Source::CommandLine));
    let mut loader = Loader {
        config: Config::default(),
        ignored: Vec::new(),
        depth: 0,
    };
    loader.load_text(&text, &|line| {
        // The first part whose end is past this line is where it came from.
        sources
            .iter()
            .find(|(end, _)| line <= *end)
            .map(|(_, s)| s.clone())
            .unwrap()
    })?;
    // Redis checks the log file can be opened now: later it could not report the failure.
    if !loader.config.logfile.is_empty() {
        let open = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&loader.config.logfile);
        if let Err(e) = open {
            return Err(LoadError::Final(format!(
                "Can't open the log file: {}",
                sys::strerror(&e)
            )));
        }
    }
    // Then the checks that need the whole configuration (e.g. no replicaof in cluster mode).
    let mut config = loader.config;
    config
        .finish_startup()
        .map_err(|e| LoadError::Final(e.to_string()))?;
    // CONFIG GET dir shows the absolute working directory, as Redis's getcwd() does.
    if let Ok(cwd) = std::env::current_dir() {
        config.set_dir_absolute(cwd.display().to_string());
    }
    Ok(Loaded {
        config,
        ignored: loader.ignored,
    })
}

/// Lines `text` has as Redis counts them when more text is appended (its newlines; a last
/// line without newline continues into what follows).
fn count_lines(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b == b'\n').count() + usize::from(!text.is_empty())
}

fn read_file(path: &str, out: &mut Vec<u8>) -> Result<(), LoadError> {
    let mut f = std::fs::File::open(path).map_err(|e| LoadError::Open {
        path: path.into(),
        error: sys::strerror(&e),
    })?;
    f.read_to_end(out).map(drop).map_err(|e| LoadError::Open {
        path: path.into(),
        error: sys::strerror(&e),
    })
}

/// Bytes of `s` without leading and trailing `chars` (Redis's `sdstrim`).
fn trim<'a>(s: &'a [u8], chars: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !chars.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !chars.contains(b))
        .map_or(start, |i| i + 1);
    &s[start..end]
}

impl Loader {
    fn load_text(
        &mut self,
        text: &[u8],
        source_of: &dyn Fn(usize) -> Source,
    ) -> Result<(), LoadError> {
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line_no = i + 1;
            let line = trim(raw, b" \t\r\n");
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fail = |message: String| LoadError::Line {
                line: line_no,
                source: source_of(line_no),
                text: line.to_vec(),
                message,
            };
            let argv = split_args(line).map_err(|e| fail(e.to_string()))?;
            let Some((name, args)) = argv.split_first() else {
                continue;
            };
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            // Every directive goes to the config, `include` too (it records includes for
            // CONFIG REWRITE and checks the argument count); we then load the file.
            let applied = self
                .config
                .apply_startup(&name, args)
                .map_err(|e| fail(e.to_string()))?;
            if name == "include" {
                let [path] = args else {
                    return Err(fail("Bad directive or wrong number of arguments".into()));
                };
                if self.depth >= MAX_INCLUDE_DEPTH {
                    return Err(fail(format!(
                        "include nested deeper than {MAX_INCLUDE_DEPTH}"
                    )));
                }
                self.include(&String::from_utf8_lossy(path))?;
            } else if name == "user" {
                // Acted on: checked here as Redis's loader checks it (its FATAL CONFIG FILE
                // ERROR, naming this line), applied when the node is built.
                hashslot_node::Node::check_config_user(&self.config.users).map_err(fail)?;
            } else if applied == Applied::Ignored && !self.ignored.contains(&name) {
                self.ignored.push(name.clone());
            }
            if name == "dir" {
                // Redis changes directory as it reads `dir`; what follows is relative to it.
                std::env::set_current_dir(&self.config.dir).map_err(|e| fail(sys::strerror(&e)))?;
            }
        }
        Ok(())
    }

    /// `include path`: a file, or every file a glob pattern matches (none is fine, so an
    /// empty `conf.d/*.conf` is allowed), each loaded as its own text.
    fn include(&mut self, path: &str) -> Result<(), LoadError> {
        let files = if path.contains(['*', '?', '[']) {
            sys::glob(path)
        } else {
            vec![path.to_string()]
        };
        for file in files {
            let mut text = Vec::new();
            read_file(&file, &mut text)?;
            self.depth += 1;
            let source = Source::File(file.clone());
            let result = self.load_text(&text, &|_| source.clone());
            self.depth -= 1;
            result?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_like_sdstrim() {
        assert_eq!(trim(b" \t port 1 \r", b" \t\r\n"), b"port 1");
        assert_eq!(trim(b" \t\r", b" \t\r\n"), b"");
    }

    #[test]
    fn counts_lines_for_sources() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a"), 1);
        assert_eq!(count_lines(b"a\n"), 1 + 1);
        assert_eq!(count_lines(b"a\nb"), 2);
    }

    #[test]
    fn fatal_report_text() {
        let e = LoadError::Line {
            line: 3,
            source: Source::File("node.conf".into()),
            text: b"bogus 1".to_vec(),
            message: "Bad directive or wrong number of arguments".into(),
        };
        assert_eq!(
            String::from_utf8(e.report()).unwrap(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
             Reading the configuration file, at line 3 (in 'node.conf')\n\
             >>> 'bogus 1'\n\
             Bad directive or wrong number of arguments\n"
        );
    }
}
