//! Helpers for the process tests: start the `hashslot-server` binary of this package (found
//! with `env!("CARGO_BIN_EXE_hashslot-server")`), pick free ports, wait with deadlines, and
//! always clean up (a Drop guard kills the child and removes the scratch directory).
#![allow(dead_code)]
// each test file uses a different part
// Tests wait for real processes: real clocks and short polling sleeps (always under a deadline).
#![allow(clippy::disallowed_methods)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long anything may take before a test fails (generous: CI machines are shared).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The node binary built from this package.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_hashslot-server")
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Poll `f` until it returns `Some`, or panic after [`DEADLINE`] saying what we waited for.
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Connect to the node on `port`, retrying until it listens.
pub fn connect(port: u16) -> TcpStream {
    let s = wait_for("the node to listen", || {
        TcpStream::connect(("127.0.0.1", port)).ok()
    });
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s
}

/// Send `request` and read exactly `reply.len()` bytes back; compare.
pub fn expect_reply(s: &mut TcpStream, request: &[u8], reply: &[u8]) {
    s.write_all(request).unwrap();
    let mut got = vec![0; reply.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(reply)
    );
}

/// Send a signal with kill(1) (the workspace forbids `unsafe`, so no libc::kill here).
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "kill -{sig} {pid}");
}

/// Whether process `pid` runs (a zombie waiting for a reaper that is not us counts as gone).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesized command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir =
            std::env::temp_dir().join(format!("hashslot-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running node process, killed on drop (also when a test panics). `pid` is set for
/// daemons, whose process is not our child.
pub struct NodeProcess {
    pub child: Option<Child>,
    pub daemon_pid: Option<u32>,
}

impl NodeProcess {
    /// Start the binary with `args`, output captured.
    pub fn spawn(args: &[&str], dir: &Path) -> Self {
        let child = Command::new(binary())
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the node binary");
        NodeProcess {
            child: Some(child),
            daemon_pid: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.daemon_pid
            .unwrap_or_else(|| self.child.as_ref().unwrap().id())
    }

    /// Wait for the child to exit, within the deadline.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        wait_for("the process to exit", || child.try_wait().unwrap())
    }

    /// The child's standard output and error, after it exited.
    pub fn output(&mut self) -> (String, String) {
        let child = self.child.as_mut().unwrap();
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut s) = child.stdout.take() {
            s.read_to_string(&mut out).unwrap();
        }
        if let Some(mut s) = child.stderr.take() {
            s.read_to_string(&mut err).unwrap();
        }
        (out, err)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Some(pid) = self.daemon_pid {
            if alive(pid) {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
