//! Running `redis-benchmark` against a test server: spawn it with its output in files beside the
//! server, poll until it exits or a deadline passes (then kill it and fail with what it printed).

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::Server;

/// What one redis-benchmark run left behind.
#[derive(Debug)]
pub struct Run {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// Run `redis-benchmark -h 127.0.0.1 -p <port> <args>` against `server`; `tag` names its output
/// files. Panics, with the output so far and the server's logs, past `deadline`.
pub fn run(server: &Server, tag: &str, args: &[&str], deadline: Duration) -> Run {
    let dir = server.dir();
    let out_path = dir.join(format!("bench-{tag}.out"));
    let err_path = dir.join(format!("bench-{tag}.err"));
    let mut child = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn redis-benchmark");
    let end = Instant::now() + deadline;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "redis-benchmark {tag} did not finish within {deadline:?}; output so far:\n{}\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default(),
                server.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    };
    Run {
        status,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    }
}
