//! The redis-server 7.0 command line: `node [config-file] [--directive value …] [-]`.
//!
//! Redis does not parse options into a table: it turns them back into config text appended
//! after the file (`--port 7000 --save 900 1` becomes `port "7000"\nsave "900" "1"`), so one
//! parser sees both. We do the same, including its special cases for `--save` with no value.

use crate::splitargs::{repr, split_args};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `-v` / `--version`.
    Version,
    /// `-h` / `--help`.
    Help,
    /// `--test-memory`, which hashslot does not implement.
    TestMemory,
    /// `--check-system`, which hashslot does not implement.
    CheckSystem,
    /// Run a node.
    Run(RunArgs),
}

/// How to build the configuration of a node to run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunArgs {
    /// The config file named first on the line, as given.
    pub config_file: Option<String>,
    /// `-` was given first or last: read config text from standard input after the file.
    pub config_from_stdin: bool,
    /// The `--directive value` options as config text (no trailing newline), or empty.
    pub options: Vec<u8>,
}

/// Parse `args` (including the program name at index 0) the way Redis 7.0.15's `main` does.
pub fn parse(args: &[String]) -> Invocation {
    let mut run = RunArgs::default();
    if args.len() < 2 {
        return Invocation::Run(run);
    }
    match args[1].as_str() {
        "-v" | "--version" => return Invocation::Version,
        "--help" | "-h" => return Invocation::Help,
        "--test-memory" => return Invocation::TestMemory,
        "--check-system" => return Invocation::CheckSystem,
        _ => {}
    }
    let mut j = 1;
    if !args[1].starts_with('-') {
        run.config_file = Some(args[1].clone());
        j = 2;
    }
    let last = args.len() - 1;
    let opts = &mut run.options;
    // False right after an option name that came without its value: the next word is a value
    // even if it starts with `--` (so `--maxmemory-policy --foo` passes "--foo" on).
    let mut handled_last_config_arg = true;
    while j < args.len() {
        let arg = args[j].as_str();
        if arg == "-" && (j == 1 || j == last) {
            run.config_from_stdin = true;
        } else if handled_last_config_arg && arg.starts_with("--") {
            if !opts.is_empty() {
                opts.push(b'\n');
            }
            opts.extend_from_slice(&arg.as_bytes()[2..]);
            opts.push(b' ');
            // `"--port 6380"` as one word carries its own value.
            let words = split_args(arg.as_bytes()).map(|v| v.len()).unwrap_or(0);
            if words == 1 {
                handled_last_config_arg = false;
                let next_is_option = j != last && args[j + 1].starts_with("--");
                if arg.eq_ignore_ascii_case("--save") && (j == last || next_is_option) {
                    // `--save` with no value means `save ""` (pre-7.0.1 compatibility).
                    opts.extend_from_slice(b"\"\"");
                    handled_last_config_arg = j != last;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    handled_last_config_arg = true;
                }
            } else {
                handled_last_config_arg = true;
            }
        } else {
            repr(arg.as_bytes(), opts);
            opts.push(b' ');
            handled_last_config_arg = true;
        }
        j += 1;
    }
    Invocation::Run(run)
}

/// The `--help` text, redis-server's usage with our program name.
pub fn usage(program: &str) -> String {
    format!(
        "Usage: {p} [/path/to/redis.conf] [options] [-]\n       \
         {p} - (read config from stdin)\n       \
         {p} -v or --version\n       \
         {p} -h or --help\n\n\
         Examples:\n       \
         {p} (run the server with default conf)\n       \
         echo 'maxmemory 128mb' | {p} -\n       \
         {p} /etc/redis/6379.conf\n       \
         {p} --port 7777\n       \
         {p} --port 7777 --cluster-enabled yes\n       \
         {p} /etc/myredis.conf --loglevel verbose -\n\n\
         hashslot does not support --test-memory, --check-system or sentinel mode.\n",
        p = program
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> RunArgs {
        let mut v = vec!["node".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        match parse(&v) {
            Invocation::Run(r) => r,
            other => panic!("{other:?}"),
        }
    }

    fn opts(args: &[&str]) -> String {
        String::from_utf8(run(args).options).unwrap()
    }

    #[test]
    fn special_first_arguments() {
        for (a, want) in [
            ("-v", Invocation::Version),
            ("--version", Invocation::Version),
            ("-h", Invocation::Help),
            ("--help", Invocation::Help),
            ("--test-memory", Invocation::TestMemory),
            ("--check-system", Invocation::CheckSystem),
        ] {
            assert_eq!(parse(&["node".into(), a.into()]), want);
        }
    }

    #[test]
    fn options_become_config_lines() {
        let table: &[(&[&str], &str)] = &[
            (&[], ""),
            (&["--port", "7000"], "port \"7000\" "),
            (
                &["--port", "7000", "--cluster-enabled", "yes"],
                "port \"7000\" \ncluster-enabled \"yes\" ",
            ),
            (
                &["--save", "900", "1", "300", "10"],
                "save \"900\" \"1\" \"300\" \"10\" ",
            ),
            (&["--save", ""], "save \"\" "),
            (&["--save"], "save \"\""),
            (&["--save", "--port", "1"], "save \"\"\nport \"1\" "),
            (
                &["--port 6380", "--dir", "/tmp"],
                "port 6380 \ndir \"/tmp\" ",
            ),
            (&["--requirepass", "a\"b c"], "requirepass \"a\\\"b c\" "),
            (&["--maxmemory-policy", "--x"], "maxmemory-policy \"--x\" "),
            (&["--sentinel", "--port", "1"], "sentinel \nport \"1\" "),
        ];
        for (args, want) in table {
            assert_eq!(opts(args), *want, "args {args:?}");
        }
    }

    #[test]
    fn config_file_and_stdin() {
        let r = run(&["/etc/redis.conf", "--port", "1"]);
        assert_eq!(r.config_file.as_deref(), Some("/etc/redis.conf"));
        assert!(!r.config_from_stdin);
        let r = run(&["-"]);
        assert_eq!((r.config_file, r.config_from_stdin), (None, true));
        let r = run(&["a.conf", "--port", "1", "-"]);
        assert!(r.config_from_stdin);
        assert_eq!(String::from_utf8(r.options).unwrap(), "port \"1\" ");
        // A `-` in the middle is a value, as in Redis.
        let r = run(&["a.conf", "--x", "-", "--port", "1"]);
        assert!(!r.config_from_stdin);
        assert_eq!(
            String::from_utf8(r.options).unwrap(),
            "x \"-\" \nport \"1\" "
        );
    }

    #[test]
    fn options_tokenize_back_to_the_values() {
        let text = run(&["--save", "a b", "x\ny", "--bind", "127.0.0.1"]).options;
        let lines: Vec<_> = text
            .split(|&b| b == b'\n')
            .map(|l| split_args(l).unwrap())
            .collect();
        assert_eq!(lines[0], [&b"save"[..], b"a b", b"x\ny"]);
        assert_eq!(lines[1], [&b"bind"[..], b"127.0.0.1"]);
    }
}
