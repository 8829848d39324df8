//! Coroutines in scripts, byte for byte against redis-server 7.0 (see `support/diff.rs`):
//! values through `resume`/`yield`/`wrap`, and the errors `wrap` raises again in its caller
//! (a string error gets the caller's position in front, a `redis.call` error table does not).
//! The node keeps its script time limit on every coroutine (see
//! `crates/node/tests/scripting_time_limit.rs`), which must not change any of this.
mod support;

use support::diff::{assert_no_mismatches, Case};

const CASES: &[Case] = &[Case {
    name: "coroutines",
    config: &[],
    lines: &[
        r##"EVAL "local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b) return c * 2 end) local r1 = {coroutine.resume(co, 1, 2)} local r2 = {coroutine.resume(co, 10)} return {r1[2], r2[2], coroutine.status(co)}" 0"##,
        r##"EVAL "local f = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end) return {f(), f(), f()}" 0"##,
        r##"EVAL "return coroutine.wrap(function() error('boom') end)()" 0"##,
        r##"EVAL "return coroutine.wrap(function() error({err='tbl'}) end)()" 0"##,
        r##"EVAL "return coroutine.wrap(function() return redis.call('nosuch') end)()" 0"##,
        r##"EVAL "return {pcall(coroutine.wrap(function() error('x', 0) end))}" 0"##,
        r##"EVAL "local co = coroutine.create(function() error('in co') end) return {coroutine.resume(co)}" 0"##,
        r##"EVAL "local f = coroutine.wrap(function() end) f() return {pcall(f)}" 0"##,
        r##"EVAL "return {coroutine.resume(coroutine.create(function() return coroutine.running() ~= nil end))}" 0"##,
        r##"EVAL "return coroutine.create(1)" 0"##,
    ],
}];

#[test]
fn coroutines_match_redis() {
    assert_no_mismatches(CASES);
}
