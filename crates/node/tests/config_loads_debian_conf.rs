//! Every directive of Debian's stock Redis 7.0 configuration (/etc/redis/redis.conf, when
//! installed) is accepted as it is.

use hashslot_node::Config;

/// A minimal tokenizer for the test: blank-separated words, `"…"` and `'…'` quoting.
fn tokenize(line: &str) -> Vec<Vec<u8>> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), Vec::new(), None, false);
    for c in line.bytes() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, b'"' | b'\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_ascii_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

#[test]
fn debian_redis_conf_loads() {
    let Ok(text) = std::fs::read_to_string("/etc/redis/redis.conf") else {
        eprintln!("skipped: /etc/redis/redis.conf not installed");
        return;
    };
    let mut c = Config::default();
    let mut count = 0;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words = tokenize(line);
        let (name, args) = words.split_first().unwrap();
        let name = String::from_utf8_lossy(name);
        c.apply_startup(&name, args)
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        count += 1;
    }
    c.finish_startup().unwrap();
    assert!(count > 50, "only {count} directives");
    // A few values Debian sets, as CONFIG GET shows them.
    assert_eq!(
        c.get("auto-aof-rewrite-min-size").as_deref(),
        Some("67108864")
    );
    assert_eq!(c.get("notify-keyspace-events").as_deref(), Some(""));
}
