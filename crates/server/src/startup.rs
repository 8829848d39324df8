//! Starting and stopping a node process in redis-server's order: config (with `dir` applied as
//! read), daemonize, log the banner, listen, pidfile, load the data, ready; on shutdown, remove
//! the pidfile.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use hashslot_node::{Config, LogLevel, ProcessInfo};

use crate::args::RunArgs;
use crate::conf::{self, LoadError};
use crate::driven::{Clock, Driven};
use crate::event_loop::{ConfigLock, EventLoop, Stop};
use crate::files;
use crate::log::Logger;
use crate::record::Recording;
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
    let Some(listeners) = listen(&config.bind, config.port, config.tcp_backlog, &logger) else {
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
    // Redis's clusterInit: lock nodes.conf, read it; the node loads it once it exists.
    let cluster = if config.cluster_enabled {
        match cluster_prepare(&config, &logger) {
            Some(prepared) => Some(prepared),
            None => return 1,
        }
    } else {
        None
    };

    // Ref: server.c main (7.0): `createPidFile` right after `initServer` (listening, the
    // cluster config), before "Server initialized" and long before the data is loaded, so a
    // supervisor sees the pid while a large dataset loads. A start that fails from here on
    // exits without removing it, as Redis's `exit(1)` does.
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
    // With `hashslot-record-file` set, every input from here on is recorded (see `record`).
    let mut node = Recording::start(config, seed(), clock.now(), process, &logger);
    let mut bus_listeners = Vec::new();
    if let Some((lock, contents)) = &cluster {
        let Some(listeners) = cluster_start(&mut node, &clock, &logger, lock, contents.as_deref())
        else {
            return 1;
        };
        bus_listeners = listeners;
    }
    // Redis's loadDataFromDisk: after chdir to `dir`, before serving. A file that fails to
    // load stops the node, and nothing is written over it.
    let mut read = |path: &str| match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(sys::strerror(&e)),
    };
    // Redis logs this before it loads the users and the data (their errors come after it).
    logger.log(LogLevel::Warning, "Server initialized");
    // Redis's ACLLoadUsersAtStartup: after the configuration's users, before the data.
    if let Err(e) = node.load_acl_file_at_startup(&mut read) {
        logger.log(LogLevel::Warning, &e);
        return 1;
    }
    // The configuration's users were applied when the node was built; one that failed
    // (ACLLoadConfiguredUsers) stops the process here, before it is ready.
    if let Some(status) = write_startup_logs(&mut node, &logger) {
        return status;
    }
    match node.load_data(clock.now(), &mut read) {
        Ok(_) => {}
        Err(e) => {
            write_startup_logs(&mut node, &logger);
            logger.log(LogLevel::Warning, &e.to_string());
            return 1;
        }
    }
    // What loading said ("Done loading RDB…"), before "Ready to accept connections" as in
    // Redis.
    if let Some(status) = write_startup_logs(&mut node, &logger) {
        return status;
    }
    let event_loop = EventLoop::new(node, clock, logger.clone(), listeners).and_then(|mut l| {
        l.add_bus_listeners(bus_listeners)?;
        Ok(l)
    });
    let mut event_loop = match event_loop {
        Ok(l) => l,
        Err(e) => {
            logger.log(
                LogLevel::Warning,
                &format!("Failed creating the event loop: {e}"),
            );
            return 1;
        }
    };
    if let Some((lock, _)) = cluster {
        event_loop.set_config_lock(lock);
    }
    logger.log(LogLevel::Notice, "Ready to accept connections");
    let stop = event_loop.run();
    if let Ok(Stop::Exit(status)) = stop {
        // A fatal error the node logged: Redis exits at once, leaving the pid file.
        return status;
    }
    let mut logger = logger;
    logger.level = event_loop.node().log_level();
    let failed = stop.is_err();
    if let Err(e) = &stop {
        logger.log(LogLevel::Warning, &format!("Event loop failed: {e}"));
    }
    if let Some(path) = pidfile {
        logger.log(LogLevel::Notice, "Removing the pid file.");
        let _ = std::fs::remove_file(path);
    }
    // The goodbye comes last, after the pidfile is gone, as Redis orders it.
    logger.log(
        LogLevel::Warning,
        "hashslot is now ready to exit, bye bye...",
    );
    i32::from(failed)
}

/// Write the lines the node logged so far (see [`Recording::take_startup_logs`]); `Some`:
/// the node asked to exit with that status.
fn write_startup_logs(node: &mut Recording, logger: &Logger) -> Option<i32> {
    let (lines, exit) = node.take_startup_logs();
    for (level, message) in lines {
        logger.log(level, &message);
    }
    exit
}

/// The checks Redis's `clusterInit` makes before the node exists, then the lock on the cluster
/// config file and its contents (`None` when missing or empty: a new node). `None`: a fatal
/// failure, logged.
fn cluster_prepare(config: &Config, logger: &Logger) -> Option<(ConfigLock, Option<Vec<u8>>)> {
    // Checked before the file is touched (Redis checks after creating nodes.conf; a node that
    // cannot start has no business leaving one behind).
    if config.cluster_port == 0 && config.port > 55535 {
        logger.log(
            LogLevel::Warning,
            "Redis port number too high. Cluster communication port is 10,000 port numbers \
             higher than your Redis port. Your Redis port number must be 55535 or less.",
        );
        return None;
    }
    if config.bind.is_empty() {
        logger.log(
            LogLevel::Warning,
            "No bind address is configured, but it is required for the Cluster bus.",
        );
        return None;
    }
    let path = &config.cluster_config_file;
    let file = match files::lock_cluster_config(path) {
        Ok(f) => f,
        Err(e) => {
            let msg = match e {
                files::LockError::Busy => format!(
                    "Sorry, the cluster configuration file {path} is already used by a \
                     different Redis Cluster node. Please make sure that different nodes use \
                     different cluster configuration files."
                ),
                files::LockError::Open(e) => format!(
                    "Can't open {path} in order to acquire a lock: {}",
                    sys::strerror(&e)
                ),
                files::LockError::Lock(e) => {
                    format!("Impossible to lock {path}: {}", sys::strerror(&e))
                }
            };
            logger.log(LogLevel::Warning, &msg);
            return None;
        }
    };
    let contents = match std::fs::read(path) {
        Ok(bytes) if bytes.is_empty() => None,
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            logger.log(
                LogLevel::Warning,
                &format!(
                    "Loading the cluster node config from {path}: {}",
                    sys::strerror(&e)
                ),
            );
            return None;
        }
    };
    let lock = ConfigLock {
        path: path.clone(),
        file,
    };
    Some((lock, contents))
}

/// Load the cluster config into the node and bind the bus port. `None`: a fatal failure,
/// logged; the config file is left as it was.
fn cluster_start(
    node: &mut Recording,
    clock: &Clock,
    logger: &Logger,
    lock: &ConfigLock,
    contents: Option<&[u8]>,
) -> Option<Vec<std::net::TcpListener>> {
    // On a fatal error: what the node said so far, then the verdict; nothing else it asked
    // for (a rewrite of the file above all) is done.
    let print_logs = |node: &mut Recording| {
        while let Some(out) = node.poll_output() {
            if let hashslot_node::Output::Log { level, message } = out {
                logger.log(level, &message);
            }
        }
    };
    let loaded = node.load_cluster_config(clock.now(), contents);
    if let Err(e) = loaded {
        print_logs(node);
        // The node's message is in Redis's words ("Unrecoverable error: corrupted cluster
        // config file…"); we add which file, and the line unless the message names it.
        let message = e.to_string();
        let at = match e.line {
            Some(l) if !message.contains(&format!("line {l}")) => format!(", line {l}"),
            _ => String::new(),
        };
        logger.log(
            LogLevel::Warning,
            &format!("{message} (in {}{at})", lock.path),
        );
        return None;
    }
    // `cluster_prepare` refused the one case without a bus port (port + 10000 > 65535).
    let cport = node.node().bus_port().unwrap_or(0);
    let listeners = listen(
        &node.node().config().bind,
        cport,
        node.node().config().tcp_backlog,
        logger,
    );
    match listeners {
        Some(l) if !l.is_empty() => Some(l),
        _ => {
            print_logs(node);
            logger.log(
                LogLevel::Warning,
                &format!("Failed listening on port {cport} (cluster), aborting."),
            );
            None
        }
    }
}

/// Bind every `bind` address as Redis's `listenToPort` does. `None`: a fatal failure (logged).
fn listen(
    bind: &[String],
    port: u16,
    backlog: u32,
    logger: &Logger,
) -> Option<Vec<std::net::TcpListener>> {
    let mut out = Vec::new();
    if port == 0 {
        return Some(out);
    }
    for spec in bind {
        let optional = spec.starts_with('-');
        let addr = spec.trim_start_matches('-');
        let warn = |why: &str| {
            let msg = format!(
                "Warning: Could not create server TCP listening socket {addr}:{port}: {why}"
            );
            logger.log(LogLevel::Warning, &msg);
        };
        let Some(sockaddr) = resolve(addr, port) else {
            warn("Name or service not known");
            if optional {
                continue;
            }
            return None;
        };
        match sys::tcp_listen(sockaddr, backlog) {
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
