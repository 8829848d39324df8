//! Starting and stopping a node process in redis-server's order: config (with `dir` applied as
//! read), daemonize, log the banner, listen, pidfile, ready; on shutdown, remove the pidfile.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use hashslot_node::{Config, LogLevel, Node, ProcessInfo};

use crate::args::RunArgs;
use crate::conf::{self, LoadError};
use crate::driven::{Clock, Driven};
use crate::event_loop::{EventLoop, Stop};
use crate::files;
use crate::log::Logger;
use crate::sys;

/// Run a node from parsed command-line arguments; returns the process exit code.
pub fn run(program: &str, args: RunArgs) -> i32 {
    // Resolved before the config is read, since `dir` may change directory (Redis does the same).
    let config_file_abs = args
        .config_file
        .as_deref()
        .map(|f| std::path::absolute(f).map_or(f.to_string(), |p| p.display().to_string()))
        .unwrap_or_default();
    if args.config_from_stdin {
        Logger {
            logfile: String::new(),
            level: LogLevel::Warning,
        }
        .log(LogLevel::Warning, "Reading config from stdin");
    }
    let loaded = match conf::load(
        args.config_file.as_deref(),
        args.config_from_stdin,
        &args.options,
    ) {
        Ok(loaded) => loaded,
        Err(e @ LoadError::Open { .. }) => {
            Logger {
                logfile: String::new(),
                level: LogLevel::Warning,
            }
            .log(LogLevel::Warning, &String::from_utf8_lossy(&e.report()));
            return 1;
        }
        Err(e) => {
            let _ = std::io::stderr().write_all(&e.report());
            return 1;
        }
    };
    let config = loaded.config;
    if config.daemonize {
        match sys::daemonize() {
            Ok(sys::Forked::Parent) => return 0,
            Ok(sys::Forked::Child) => {}
            Err(e) => {
                eprintln!("Can't daemonize: {}", sys::strerror(&e));
                return 1;
            }
        }
    }
    let logger = Logger {
        logfile: config.logfile.clone(),
        level: config.loglevel,
    };
    if let Err(e) = sys::install_signal_handlers() {
        logger.log(
            LogLevel::Warning,
            &format!("Can't install signal handlers: {e}"),
        );
    }
    let pid = std::process::id();
    logger.log(
        LogLevel::Warning,
        "oO0OoO0OoO0Oo hashslot is starting oO0OoO0OoO0Oo",
    );
    logger.log(
        LogLevel::Warning,
        &format!(
            "hashslot version={} (Redis {} compatible), bits={}, pid={pid}, just started",
            env!("CARGO_PKG_VERSION"),
            conf::REDIS_VERSION,
            usize::BITS
        ),
    );
    if args.config_file.is_none() && !args.config_from_stdin && args.options.is_empty() {
        logger.log(
            LogLevel::Warning,
            &format!(
                "Warning: no config file specified, using the default config. In order to specify \
                 a config file use {program} /path/to/redis.conf"
            ),
        );
    } else {
        logger.log(LogLevel::Warning, "Configuration loaded");
    }
    if !loaded.ignored.is_empty() {
        logger.log(
            LogLevel::Warning,
            &format!(
                "Accepted but not acted on by hashslot: {}",
                loaded.ignored.join(", ")
            ),
        );
    }

    let mut config = config;
    adjust_open_files_limit(&mut config, &logger);
    let Some(listeners) = listen(&config, &logger) else {
        logger.log(
            LogLevel::Warning,
            &format!("Failed listening on port {} (TCP), aborting.", config.port),
        );
        return 1;
    };
    if listeners.is_empty() {
        logger.log(
            LogLevel::Warning,
            "Configured to not listen anywhere, exiting.",
        );
        return 1;
    }
    check_tcp_backlog(&config, &logger);

    let pidfile = files::write_pidfile(&config.pidfile, config.daemonize);
    let mode = if config.cluster_enabled {
        "cluster"
    } else {
        "standalone"
    };
    logger.log(
        LogLevel::Notice,
        &format!("Running mode={mode}, port={}.", config.port),
    );
    let clock = Clock::new();
    let process = ProcessInfo {
        pid,
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        config_file: config_file_abs,
        os: sys::os_name(),
        arch_bits: usize::BITS,
    };
    let node = Node::new(config, seed(), clock.now(), process);
    logger.log(LogLevel::Warning, "Server initialized");
    let mut event_loop = match EventLoop::new(node, clock, logger.clone(), listeners) {
        Ok(l) => l,
        Err(e) => {
            logger.log(
                LogLevel::Warning,
                &format!("Failed creating the event loop: {e}"),
            );
            return 1;
        }
    };
    logger.log(LogLevel::Notice, "Ready to accept connections");
    let stop = event_loop.run();
    let mut logger = logger;
    logger.level = event_loop.node().log_level();
    let failed = stop.is_err();
    let by_node = matches!(stop, Ok(Stop::Shutdown));
    match stop {
        Ok(Stop::Signal(sig)) => {
            logger.log(
                LogLevel::Warning,
                &format!("Received {sig} scheduling shutdown..."),
            );
            logger.log(LogLevel::Warning, "User requested shutdown...");
        }
        Ok(Stop::Shutdown) => {}
        Err(e) => {
            logger.log(LogLevel::Warning, &format!("Event loop failed: {e}"));
        }
    }
    if let Some(path) = pidfile {
        logger.log(LogLevel::Notice, "Removing the pid file.");
        let _ = std::fs::remove_file(path);
    }
    // After SHUTDOWN the node has said goodbye itself.
    if !by_node {
        logger.log(
            LogLevel::Warning,
            "hashslot is now ready to exit, bye bye...",
        );
    }
    i32::from(failed)
}

/// Bind every `bind` address as Redis's `listenToPort` does. `None`: a fatal failure (logged).
fn listen(config: &Config, logger: &Logger) -> Option<Vec<std::net::TcpListener>> {
    let mut out = Vec::new();
    if config.port == 0 {
        return Some(out);
    }
    for spec in &config.bind {
        let optional = spec.starts_with('-');
        let addr = spec.trim_start_matches('-');
        let warn = |why: &str| {
            let msg = format!(
                "Warning: Could not create server TCP listening socket {addr}:{}: {why}",
                config.port
            );
            logger.log(LogLevel::Warning, &msg);
        };
        let Some(sockaddr) = resolve(addr, config.port) else {
            warn("Name or service not known");
            if optional {
                continue;
            }
            return None;
        };
        match sys::tcp_listen(sockaddr, config.tcp_backlog) {
            Ok(l) => out.push(l),
            Err((call, e)) => {
                warn(&format!("{call}: {}", sys::strerror(&e)));
                let errno = e.raw_os_error().unwrap_or(0);
                // Redis skips an optional address that does not exist here, and any address
                // of a protocol family the host lacks (e.g. IPv6 disabled).
                let skip = (optional && errno == libc::EADDRNOTAVAIL)
                    || [
                        libc::ENOPROTOOPT,
                        libc::EPROTONOSUPPORT,
                        libc::ESOCKTNOSUPPORT,
                        libc::EPFNOSUPPORT,
                        libc::EAFNOSUPPORT,
                    ]
                    .contains(&errno);
                if !skip {
                    return None;
                }
            }
        }
    }
    Some(out)
}

/// The socket address for a `bind` entry: `*` and `::*` are the wildcards; a name is resolved
/// and the first address of the right family (IPv6 if it has a `:`) is used, as getaddrinfo's
/// first result is in Redis.
fn resolve(addr: &str, port: u16) -> Option<SocketAddr> {
    let v6 = addr.contains(':');
    match addr {
        "*" if !v6 => return Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)),
        "::*" => return Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)),
        _ => {}
    }
    if let Ok(ip) = addr.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, port));
    }
    (addr, port)
        .to_socket_addrs()
        .ok()?
        .find(|a| a.is_ipv6() == v6)
}

/// Redis's `adjustOpenFilesLimit`: make room for `maxclients` plus the server's own 32
/// descriptors, raising the soft limit up to the hard one; if that is not enough, lower
/// `maxclients` to what fits, and say so.
fn adjust_open_files_limit(config: &mut Config, logger: &Logger) {
    const RESERVED_FDS: u64 = 32;
    let needed = u64::from(config.maxclients) + RESERVED_FDS;
    let Ok((soft, hard)) = sys::open_files_limit() else {
        return;
    };
    if soft >= needed {
        return;
    }
    let target = needed.min(hard);
    // Raising to less than needed still helps: maxclients is then cut to what fits.
    let raised = target > soft && sys::set_open_files_limit(target, hard).is_ok();
    if raised && target == needed {
        let msg = format!(
            "Increased maximum number of open files to {needed} (it was originally set to {soft})."
        );
        logger.log(LogLevel::Notice, &msg);
        return;
    }
    let limit = sys::open_files_limit().map_or(soft, |(s, _)| s);
    let reduced = limit.saturating_sub(RESERVED_FDS).max(1);
    logger.log(
        LogLevel::Warning,
        &format!(
            "You requested maxclients of {} requiring at least {needed} max file descriptors.",
            config.maxclients
        ),
    );
    logger.log(
        LogLevel::Warning,
        &format!(
            "Current maximum open files is {limit}. maxclients has been reduced to {reduced} to \
             compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
        ),
    );
    config.maxclients = u32::try_from(reduced).unwrap_or(u32::MAX);
}

/// Redis's `checkTcpBacklogSettings`: warn when the kernel caps the backlog below ours.
fn check_tcp_backlog(config: &Config, logger: &Logger) {
    let Ok(text) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") else {
        return;
    };
    if let Ok(somaxconn) = text.trim().parse::<u32>() {
        if somaxconn < config.tcp_backlog {
            logger.log(
                LogLevel::Warning,
                &format!(
                    "WARNING: The TCP backlog setting of {} cannot be enforced because \
                     /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}.",
                    config.tcp_backlog
                ),
            );
        }
    }
}

/// A seed for the node's randomness: from the kernel, or time and pid if that fails.
fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok()
    {
        return u64::from_ne_bytes(bytes);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    t.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)
}
