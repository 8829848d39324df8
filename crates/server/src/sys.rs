//! Every libc call of hashslot, in one place: the workspace denies `unsafe`, and this module is
//! the single exception. Each function is a small safe wrapper with its own `SAFETY` note.
//!
//! Why libc rather than crates: daemonizing must `fork` (no safe crate makes fork safe), the
//! listening socket needs `tcp-backlog` and `IPV6_V6ONLY` before `listen` (std and mio fix the
//! backlog), and the rest (`sigaction`, `localtime_r`, `uname`, `getrusage`, `glob`) are single
//! calls where a dependency would weigh more than the code.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The OS error text without Rust's ` (os error N)` suffix: Redis prints `strerror(errno)`.
pub fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// A non-blocking, close-on-exec TCP listening socket on `addr`, built as Redis's
/// `_anetTcpServer`: `IPV6_V6ONLY` on IPv6 (so `*` and `::*` can share a port), `SO_REUSEADDR`,
/// then `bind` and `listen(backlog)`. An error names the call that failed (`bind`, …) and keeps
/// its errno, which decides whether an optional address may be skipped.
pub fn tcp_listen(
    addr: SocketAddr,
    backlog: u32,
) -> Result<std::net::TcpListener, (&'static str, io::Error)> {
    let family = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain syscall with constant arguments; the result is checked.
    let fd = check(unsafe { libc::socket(family, ty, 0) }).map_err(|e| ("socket", e))?;
    // SAFETY: `fd` was just returned by socket() and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    let setopt = |level, name| {
        // SAFETY: `one` lives across the call and the length given is its size.
        check(unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
    };
    if addr.is_ipv6() {
        setopt(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).map_err(|e| ("setsockopt IPV6_V6ONLY", e))?;
    }
    setopt(libc::SOL_SOCKET, libc::SO_REUSEADDR).map_err(|e| ("setsockopt SO_REUSEADDR", e))?;
    let (storage, len) = sockaddr(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    check(unsafe {
        libc::bind(
            fd,
            (&storage as *const libc::sockaddr_storage).cast(),
            len as libc::socklen_t,
        )
    })
    .map_err(|e| ("bind", e))?;
    let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
    // SAFETY: plain syscall on our socket.
    check(unsafe { libc::listen(fd, backlog) }).map_err(|e| ("listen", e))?;
    Ok(std::net::TcpListener::from(owned))
}

/// `addr` as a C socket address and its length.
fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, usize) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len)
}

/// A non-blocking, close-on-exec TCP connect to `addr` in progress (Redis's
/// `anetTcpNonBlockBestEffortBindConnect`): when `source` is given (`bind-source-addr`) the
/// socket is first bound to it, best effort: if that bind fails the connect goes ahead
/// unbound, as in Redis. Completion is seen as writability, as for any non-blocking connect.
pub fn tcp_connect(
    addr: SocketAddr,
    source: Option<std::net::IpAddr>,
) -> io::Result<std::net::TcpStream> {
    let family = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain syscall with constant arguments; the result is checked.
    let fd = check(unsafe { libc::socket(family, ty, 0) })?;
    // SAFETY: `fd` was just returned by socket() and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Some(ip) = source.filter(|ip| ip.is_ipv6() == addr.is_ipv6()) {
        let (storage, len) = sockaddr(SocketAddr::new(ip, 0));
        // SAFETY: `storage` holds a valid address of `len` bytes. Failure is tolerated.
        let _ = unsafe {
            libc::bind(
                fd,
                (&storage as *const libc::sockaddr_storage).cast(),
                len as libc::socklen_t,
            )
        };
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    let connected = check(unsafe {
        libc::connect(
            fd,
            (&storage as *const libc::sockaddr_storage).cast(),
            len as libc::socklen_t,
        )
    });
    match connected {
        Ok(_) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(std::net::TcpStream::from(owned))
}

/// Which side of [`daemonize`] we are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// The original process: it should exit 0 now.
    Parent,
    /// The daemon.
    Child,
}

/// Redis's `daemonize()`: fork (the parent exits 0), `setsid`, and point standard input, output
/// and error at /dev/null. Must be called while the process has one thread.
pub fn daemonize() -> io::Result<Forked> {
    // SAFETY: the process is single-threaded here (called before the event loop and before any
    // thread is spawned), so the child's copy of memory and locks is consistent.
    let pid = check(unsafe { libc::fork() })?;
    if pid != 0 {
        return Ok(Forked::Parent);
    }
    // SAFETY: plain syscall; failure (already a group leader) is harmless, as in Redis.
    unsafe { libc::setsid() };
    let devnull = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    use std::os::fd::AsRawFd;
    for target in [libc::STDIN_FILENO, libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: both descriptors are open; dup2 replaces the standard stream atomically.
        check(unsafe { libc::dup2(devnull.as_raw_fd(), target) })?;
    }
    Ok(Forked::Child)
}

/// The signal that asked for shutdown (0: none yet). Written by the handler, read by the loop.
static SHUTDOWN_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    // A second SIGINT means "now", as in Redis ("You insist... exiting now.").
    if sig == libc::SIGINT && SHUTDOWN_SIGNAL.load(Ordering::Relaxed) != 0 {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(1) };
    }
    SHUTDOWN_SIGNAL.store(sig, Ordering::Relaxed);
}

/// Install SIGTERM/SIGINT handlers that request an orderly shutdown, and ignore SIGPIPE (a
/// write to a closed client must be an error, not death).
pub fn install_signal_handlers() -> io::Result<()> {
    // SAFETY: sigaction is plain data; zeroed then filled. The handler only touches an atomic
    // and calls _exit, both async-signal-safe. No SA_RESTART: epoll_wait returns EINTR so the
    // loop sees the request at once.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_sigaction = on_shutdown_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        check(libc::sigaction(libc::SIGTERM, &act, std::ptr::null_mut()))?;
        check(libc::sigaction(libc::SIGINT, &act, std::ptr::null_mut()))?;
        act.sa_sigaction = libc::SIG_IGN;
        check(libc::sigaction(libc::SIGPIPE, &act, std::ptr::null_mut()))?;
    }
    Ok(())
}

/// The shutdown signal received since the last call, if any, by name.
pub fn take_shutdown_signal() -> Option<&'static str> {
    match SHUTDOWN_SIGNAL.swap(0, Ordering::Relaxed) {
        0 => None,
        libc::SIGINT => Some("SIGINT"),
        libc::SIGTERM => Some("SIGTERM"),
        _ => Some("a shutdown signal"),
    }
}

/// Local broken-down time of `secs` since the epoch: (day, month 0-11, year, h, m, s).
pub fn localtime(secs: i64) -> (u32, u32, i32, u32, u32, u32) {
    let t = secs as libc::time_t;
    // SAFETY: `tm` is plain data; localtime_r is the thread-safe variant and fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return (1, 0, 1970, 0, 0, 0);
    }
    let u = |v: libc::c_int| u32::try_from(v).unwrap_or(0);
    (
        u(tm.tm_mday),
        u(tm.tm_mon),
        tm.tm_year + 1900,
        u(tm.tm_hour),
        u(tm.tm_min),
        u(tm.tm_sec),
    )
}

/// `uname -s -r -m` as Redis's INFO `os` field shows it.
pub fn os_name() -> String {
    // SAFETY: utsname is plain data; uname fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to our struct.
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    let field = |f: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates each field within its array.
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

/// User and system CPU seconds of this process.
pub fn cpu_times() -> (f64, f64) {
    // SAFETY: rusage is plain data and getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to our struct.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

/// The memory page size, to turn /proc page counts into bytes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf with a constant name has no memory effects.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(v).unwrap_or(4096)
}

/// Paths matching the shell pattern `pattern`, sorted (`glob(3)`); empty when none match.
pub fn glob(pattern: &str) -> Vec<String> {
    let Ok(c_pattern) = CString::new(pattern) else {
        return Vec::new();
    };
    // SAFETY: glob_t is plain data; glob fills it and globfree releases what it allocated.
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        let mut out = Vec::new();
        if libc::glob(c_pattern.as_ptr(), 0, None, &mut g) == 0 {
            for i in 0..g.gl_pathc {
                let p = *g.gl_pathv.add(i);
                out.push(CStr::from_ptr(p).to_string_lossy().into_owned());
            }
        }
        libc::globfree(&mut g);
        out
    }
}

/// Redis's `anetKeepAlive`: probe an idle client after `interval` seconds, then every third of
/// it, three times, so dead peers are noticed.
pub fn set_keepalive(fd: std::os::fd::RawFd, interval: u32) -> io::Result<()> {
    let set = |level, name, value: libc::c_int| {
        // SAFETY: `value` lives across the call and the length given is its size.
        check(unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
    };
    let interval = libc::c_int::try_from(interval).unwrap_or(libc::c_int::MAX);
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)?;
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval)?;
    set(
        libc::IPPROTO_TCP,
        libc::TCP_KEEPINTVL,
        (interval / 3).max(1),
    )?;
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3)?;
    Ok(())
}

/// The soft and hard limits on open files (`RLIMIT_NOFILE`).
pub fn open_files_limit() -> io::Result<(u64, u64)> {
    // SAFETY: rlimit is plain data and getrlimit fills it.
    let mut r: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to our struct.
    check(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) })?;
    Ok((r.rlim_cur as u64, r.rlim_max as u64))
}

/// Set the soft limit on open files, keeping the hard limit.
pub fn set_open_files_limit(soft: u64, hard: u64) -> io::Result<()> {
    let r = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: valid pointer to an initialized struct.
    check(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &r) }).map(drop)
}

/// Take an exclusive, non-blocking `flock` on `file` (Redis's `clusterLockConfig`). `Ok(false)`:
/// another process holds it (`EWOULDBLOCK`). The lock lives as long as the descriptor.
pub fn try_lock_exclusive(file: &std::fs::File) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: plain syscall on a descriptor `file` owns for the duration of the call.
    match check(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Send `SIGTERM` to process `pid` (a supervisor stopping its children in order).
pub fn terminate(pid: u32) -> io::Result<()> {
    let pid =
        libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: plain syscall; a wrong pid only yields ESRCH/EPERM.
    check(unsafe { libc::kill(pid, libc::SIGTERM) }).map(drop)
}
