//! The Lua libraries scripts see, byte for byte against redis-server 7.0 (see
//! `support/diff.rs`): the set of globals, `bit` (LuaBitOp) and `cjson` (encode/decode with
//! lua-cjson's formatting and error texts), `loadstring` chunks under the read-only globals,
//! errors caught by `coroutine.resume` and `xpcall`, and scripts that hit Lua's own limits
//! (stack overflow, a table holding itself). `cmsgpack` and `struct` have their own battery
//! (`scripting_cmsgpack_struct_vs_redis.rs`). `HASHSLOT_NODE_BIN=redis-server` checks the
//! battery against Redis itself.
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
        "globals",
        &[
            r##"EVAL "local t = {} for k in pairs(_G) do if k ~= 'cmsgpack' and k ~= 'struct' and k ~= '__redis__err__handler' then t[#t+1]=k end end table.sort(t) return t" 0"##,
            r##"EVAL "local t = {} for k in pairs(bit) do t[#t+1]=k end table.sort(t) return t" 0"##,
            r##"EVAL "return {type(getfenv), type(setfenv), type(newproxy), type(print)}" 0"##,
            r##"EVAL "return _VERSION" 0"##,
            r##"EVAL "return loadstring('return 1+1')()" 0"##,
            r##"EVAL "return loadstring('x=1')()" 0"##,
            r##"EVAL "return pcall(loadstring('return zz'))" 0"##,
            r##"EVAL "bit.band = nil" 0"##,
            r##"EVAL "cjson.encode = nil" 0"##,
        ],
    ),
    case(
        "bit",
        &[
            r##"EVAL "return {bit.tobit(2^32+5), bit.tobit(-1.5), bit.tobit(2.5), bit.tobit('12')}" 0"##,
            r##"EVAL "return {bit.band(0xff, 0x0f, 7), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0)}" 0"##,
            r##"EVAL "return {bit.lshift(1, 33), bit.rshift(-1, 28), bit.arshift(-256, 4)}" 0"##,
            r##"EVAL "return {bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678)}" 0"##,
            r##"EVAL "return {bit.tohex(255), bit.tohex(-1, -4), bit.tohex(255, 2), bit.tohex(255, 20), bit.tohex(1, 0)}" 0"##,
            r##"EVAL "return bit.bor()" 0"##,
            r##"EVAL "return bit.band('x')" 0"##,
        ],
    ),
    case(
        "cjson encode",
        &[
            r##"EVAL "return cjson.encode({1,2,3})" 0"##,
            r##"EVAL "return cjson.encode({a={b={1,2,{c='d'}}}})" 0"##,
            r##"EVAL "return cjson.encode({})" 0"##,
            r##"EVAL "return cjson.encode('a/b\"c\\\n\1\127')" 0"##,
            r##"EVAL "return cjson.encode({1/3, 1e100, 0.1, 123456789012345, -2.5})" 0"##,
            r##"EVAL "return cjson.encode({[1]=1,[3]=3})" 0"##,
            r##"EVAL "return cjson.encode({[2]=1})" 0"##,
            r##"EVAL "return cjson.encode({1,2,nil,4})" 0"##,
            r##"EVAL "return cjson.encode({[1]=1,[30]=3})" 0"##,
            r##"EVAL "return cjson.encode({[1.5]=1})" 0"##,
            r##"EVAL "return cjson.encode({[true]=1})" 0"##,
            r##"EVAL "return {cjson.encode(nil), cjson.encode(cjson.null), cjson.encode(true)}" 0"##,
            r##"EVAL "return cjson.encode(function() end)" 0"##,
            r##"EVAL "return cjson.encode(0/0)" 0"##,
            r##"EVAL "return cjson.encode()" 0"##,
            r##"EVAL "local t = {} local c = t for i=1,1001 do c[1] = {} c = c[1] end return cjson.encode(t)" 0"##,
            r##"EVAL "return {cjson._NAME, cjson._VERSION}" 0"##,
        ],
    ),
    case(
        "cjson decode",
        &[
            r##"EVAL "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\\u00e9\\\\n\"}') return {t.a[1], t.a[2], type(t.a[3].b), t.c}" 0"##,
            r##"EVAL "return cjson.decode('[1.5, -2, 1e-3, 0.1, 1e3]')" 0"##,
            r##"EVAL "return cjson.decode('\"\\\\ud83d\\\\ude00\"')" 0"##,
            r##"EVAL "return {cjson.decode('[true,false]')[1], cjson.decode(' { \"k\" : \"v\" } ').k}" 0"##,
            r##"EVAL "return {cjson.decode(1), cjson.decode('0x10'), type(cjson.decode('null'))}" 0"##,
            r##"EVAL "return cjson.decode('[1,2')" 0"##,
            r##"EVAL "return cjson.decode('{')" 0"##,
            r##"EVAL "return cjson.decode('')" 0"##,
            r##"EVAL "return cjson.decode('x')" 0"##,
            r##"EVAL "return cjson.decode('[1,]')" 0"##,
            r##"EVAL "return cjson.decode('{\"a\":1,}')" 0"##,
            r##"EVAL "return cjson.decode('{1:2}')" 0"##,
            r##"EVAL "return cjson.decode('[1] x')" 0"##,
            r##"EVAL "return cjson.decode('[1 2]')" 0"##,
            r##"EVAL "return cjson.decode('{\"a\" 1}')" 0"##,
            r##"EVAL "return cjson.decode('\"abc')" 0"##,
            r##"EVAL "return cjson.decode('\"\\\\x\"')" 0"##,
            r##"EVAL "return cjson.decode('\"\\\\u12\"')" 0"##,
            r##"EVAL "return cjson.decode('-')" 0"##,
            r##"EVAL "return cjson.decode()" 0"##,
            r##"EVAL "return cjson.decode(string.rep('[', 1001))" 0"##,
        ],
    ),
    case(
        "lua limits and caught errors",
        &[
            r##"EVAL "local function f() f() end f()" 0"##,
            r##"EVAL "local function f() return 1 + f() end return f()" 0"##,
            r##"EVAL "error(nil)" 0"##,
            r##"EVAL "return coroutine.wrap(function() coroutine.yield(redis.call('ping')) end)()" 0"##,
            r##"EVAL "local co = coroutine.create(function() return redis.call('nosuch') end) return {coroutine.resume(co)}" 0"##,
            r##"EVAL "return {xpcall(function() redis.call('nosuch') end, function(e) return e end)}" 0"##,
            r##"EVAL "return {pcall(error)}" 0"##,
            r##"EVAL "return select('#', pcall(function() end))" 0"##,
        ],
    ),
];

#[test]
fn lua_libraries_match_redis() {
    assert_no_mismatches(CASES);
}
