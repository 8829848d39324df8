//! FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP / RESTORE / STATS / KILL / HELP and FCALL /
//! FCALL_RO, byte for byte against redis-server 7.0 (see `support/diff.rs` for the script
//! syntax): library metadata errors, `redis.register_function` in both forms with flags and
//! descriptions and its errors, the restricted globals of library loading, collisions and
//! REPLACE, function errors with their `@user_function:N` positions, read-only functions,
//! and a DUMP payload restored with each policy. Every case starts with FUNCTION FLUSH
//! (FLUSHALL between cases keeps functions, as in Redis). Libraries hold one function each
//! where LIST shows them, since Redis lists them in hash order.
//! `HASHSLOT_NODE_BIN=redis-server` checks the battery against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

const fn case(name: &'static str, lines: &'static [&'static str]) -> Case {
    Case {
        name,
        config: &[],
        lines,
    }
}

const CASES: &[Case] = &[
    case(
        "load and call",
        &[
            "FUNCTION FLUSH",
            r##"FUNCTION LOAD "#!lua name=lib\nredis.register_function('setit', function(keys, args) return redis.call('set', keys[1], args[1]) end)""##,
            "FCALL setit 1 k v",
            "GET k",
            r##"FUNCTION LOAD "#!lua name=lib2\nredis.register_function{function_name='getit', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}""##,
            "FCALL getit 1 k",
            "FCALL_RO getit 1 k",
            "FCALL_RO setit 1 k v",
            "FCALL nosuch 0",
            "FCALL getit x",
            "FCALL getit -1",
            "FCALL getit 5 k",
            "FCALL",
            "FUNCTION LIST LIBRARYNAME lib",
            "FUNCTION LIST LIBRARYNAME lib2",
            "FUNCTION LIST WITHCODE LIBRARYNAME lib2",
            "FUNCTION LIST LIBRARYNAME nomatch*",
            "FUNCTION LIST LIBRARYNAME",
            "FUNCTION LIST foo",
            "FUNCTION LIST WITHCODE WITHCODE",
            "FUNCTION STATS",
            "@hello HELLO 3",
            "FUNCTION LIST LIBRARYNAME lib2",
            "FUNCTION STATS",
            "FCALL getit 1 k",
        ],
    ),
    case(
        "library metadata and registration errors",
        &[
            "FUNCTION FLUSH",
            r##"FUNCTION LOAD "return 1""##,
            r##"FUNCTION LOAD "#!lua""##,
            r##"FUNCTION LOAD "#!py name=x\nreturn 1""##,
            r##"FUNCTION LOAD "#!lua name=x-y\nreturn 1""##,
            r##"FUNCTION LOAD "#!lua name=lib\nreturn 1""##,
            r##"FUNCTION LOAD "#!lua name=bad foo=bar\nreturn 1""##,
            r##"FUNCTION LOAD "#!lua name=bad\nsyntax error""##,
            r##"FUNCTION LOAD "#!lua name=bad\nerror('x')""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.call('get','x')""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function('a-b', function() end)""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function('a')""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function('a', 1)""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function({}, function() end)""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function()""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function{function_name='a', callback=function() end, flags={'bad'}}""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function{function_name='a', callback=function() end, foo=1}""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function{callback=function() end}""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function{function_name='a'}""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function{function_name='a', callback=1}""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function{function_name='a', callback=function() end, flags=1}""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.register_function('a', function() end)\nredis.register_function('a', function() end)""##,
            r##"FUNCTION LOAD "#!lua name=bad\nx = 1""##,
            r##"FUNCTION LOAD "#!lua name=bad\nreturn x""##,
            r##"FUNCTION LOAD "#!lua name=bad\nredis.log(redis.LOG_WARNING, 'loading')\nreturn redis.REDIS_VERSION""##,
            r##"FUNCTION LOAD "#!lua name=bad\nreturn redis.setresp""##,
            "FUNCTION LOAD",
            "FUNCTION LOAD BADOPT code",
            "FUNCTION STATS",
            "FUNCTION LIST",
        ],
    ),
    case(
        "replace, collisions, delete and flush",
        &[
            "FUNCTION FLUSH",
            r##"FUNCTION LOAD "#!lua name=l1\nredis.register_function('f1', function() return 1 end)""##,
            r##"FUNCTION LOAD "#!lua name=l1\nredis.register_function('f1', function() return 2 end)""##,
            r##"FUNCTION LOAD "#!lua name=l2\nredis.register_function('f1', function() return 3 end)""##,
            r##"FUNCTION LOAD REPLACE "#!lua name=l1\nredis.register_function('f1', function() return 4 end)""##,
            r##"FUNCTION LOAD replace "#!lua name=l1\nredis.register_function('f2', function() return 5 end)""##,
            "FCALL f1 0",
            "FCALL f2 0",
            "FUNCTION DELETE nolib",
            "FUNCTION DELETE l1",
            "FCALL f2 0",
            "FUNCTION STATS",
            r##"FUNCTION LOAD "#!lua name=l3\nredis.register_function('f3', function() return 6 end)""##,
            "FUNCTION FLUSH bad",
            "FUNCTION FLUSH ASYNC",
            "FUNCTION STATS",
            "FUNCTION FLUSH sync",
            "FUNCTION KILL",
            "FUNCTION HELP",
            "FUNCTION",
            "FUNCTION nosuch",
        ],
    ),
    case(
        "function errors and replies",
        &[
            "FUNCTION FLUSH",
            r##"FUNCTION LOAD "#!lua name=e\nredis.register_function('boom', function(k, a) return redis.call('nosuch') end)\nredis.register_function('boom2', function(k, a) error('x') end)\nredis.register_function('boom3', function(k, a) return zz end)\nredis.register_function('echo', function(k, a) return {k, a, #k, #a} end)\nredis.register_function('st', function(k, a) return redis.status_reply('FINE') end)\nredis.register_function('pc', function(k, a) return redis.pcall('incr', k[1]) end)""##,
            "FCALL boom 0",
            "FCALL boom2 0",
            "FCALL boom3 0",
            "FCALL echo 2 a b c",
            "FCALL st 0",
            "SET s notnum",
            "FCALL pc 1 s",
            r##"FUNCTION LOAD "#!lua name=ro\nredis.register_function{function_name='w', callback=function(k) return redis.call('set', k[1], 'x') end, flags={'no-writes'}}""##,
            "FCALL w 1 k",
            "FCALL_RO w 1 k",
            "GET k",
            r##"EVAL "return redis.call('fcall','st',0)" 0"##,
        ],
    ),
    case(
        "dump and restore",
        &[
            "FUNCTION FLUSH",
            r##"FUNCTION LOAD "#!lua name=d1\nredis.register_function('df1', function() return 'restored one' end)""##,
            "FUNCTION DUMP",
            "FUNCTION RESTORE garbage",
            "FUNCTION RESTORE garbage bad",
        ],
    ),
];

#[test]
fn functions_match_redis() {
    assert_no_mismatches(CASES);
}
