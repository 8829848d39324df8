//! The configuration table: every Redis 7.0 directive, what we act on, CONFIG GET/SET.

/// Why a directive was refused. `Display` is Redis's message for the same case
/// (e.g. `Bad directive or wrong number of arguments`, `argument must be 'yes' or 'no'`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not a Redis directive, or the wrong number of arguments.
    #[error("Bad directive or wrong number of arguments")]
    BadDirective,
    /// A value Redis would refuse, with Redis's explanation.
    #[error("{0}")]
    Invalid(String),
}

/// What applying a directive did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// hashslot acts on this directive.
    Acted,
    /// A real Redis directive that hashslot accepts and stores (CONFIG GET shows it) but does not
    /// act on; the server lists these in one startup warning.
    Ignored,
}

/// The node's configuration. Fields the driver needs are public; everything else is reached
/// through [`Config::get`] and [`Config::apply_startup`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `port` (default 6379; 0 disables TCP).
    pub port: u16,
    /// `bind` addresses (default `* -::*`).
    pub bind: Vec<String>,
    /// `daemonize`
    pub daemonize: bool,
    /// `pidfile` (empty: none)
    pub pidfile: String,
    /// `logfile` (empty: standard output)
    pub logfile: String,
    /// `loglevel`
    pub loglevel: crate::LogLevel,
    /// `dir`, the working directory, as given.
    pub dir: String,
    /// `protected-mode`
    pub protected_mode: bool,
    /// `tcp-backlog`
    pub tcp_backlog: u32,
    /// `maxclients`
    pub maxclients: u32,
    /// `cluster-enabled`
    pub cluster_enabled: bool,
    /// `requirepass` (None: no password)
    pub requirepass: Option<Vec<u8>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            daemonize: false,
            pidfile: String::new(),
            logfile: String::new(),
            loglevel: crate::LogLevel::Notice,
            dir: "./".into(),
            protected_mode: true,
            tcp_backlog: 511,
            maxclients: 10000,
            cluster_enabled: false,
            requirepass: None,
        }
    }
}

impl Config {
    /// Apply one directive from a config file or the command line (`name` case-insensitive,
    /// `args` as tokenized). Immutable directives are allowed here, unlike CONFIG SET.
    pub fn apply_startup(&mut self, name: &str, args: &[Vec<u8>]) -> Result<Applied, ConfigError> {
        let _ = (name, args);
        todo!("node helper implements")
    }

    /// The current value of a parameter as CONFIG GET shows it, or `None` if unknown.
    pub fn get(&self, name: &str) -> Option<String> {
        let _ = name;
        todo!("node helper implements")
    }
}
