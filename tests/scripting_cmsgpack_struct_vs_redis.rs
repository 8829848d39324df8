//! The `cmsgpack` (lua-cmsgpack 0.4.0) and `struct` libraries scripts see, byte for byte
//! against redis-server 7.0 (see `support/diff.rs`): packed bytes for every MessagePack type
//! and size class, unpack of streams, offsets and limits, bad input and its error texts, and
//! struct's formats, alignment, byte orders and errors. `HASHSLOT_NODE_BIN=redis-server`
//! checks the battery against Redis itself.
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
        "cmsgpack pack",
        &[
            r##"EVAL "local t = {} for k, v in pairs(cmsgpack) do t[#t+1] = k .. '=' .. (type(v) == 'string' and v or type(v)) end table.sort(t) return t" 0"##,
            r##"EVAL "return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)" 0"##,
            r##"EVAL "return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)" 0"##,
            r##"EVAL "return cmsgpack.pack(2^53, -2^53, 2^63, -2^63, 2^64, 1e300, -1e-10)" 0"##,
            r##"EVAL "return cmsgpack.pack({-1e-300, 1e-300, 0.9999999999999999, -0.0, x = 1e-20})" 0"##,
            r##"EVAL "return cmsgpack.pack(0.5, -0.25, 0.1, 1/3, 1/0, -1/0, 3.5e38, 1e39)" 0"##,
            r##"EVAL "return cmsgpack.pack(true, false, nil, print, function() end)" 0"##,
            r##"EVAL "return cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('y', 32))" 0"##,
            r##"EVAL "return cmsgpack.pack(string.rep('z', 255), string.rep('w', 256))" 0"##,
            r##"EVAL "return #cmsgpack.pack(string.rep('v', 70000))" 0"##,
            r##"EVAL "return cmsgpack.pack({}, {1, 2, 3}, {a = 1}, {[1] = 1, [3] = 3}, {[2] = 2})" 0"##,
            r##"EVAL "return cmsgpack.pack({1.5, 'x', {true, {false}}}, {[0] = 1}, {[-1] = 1}, {[1.5] = 1})" 0"##,
            r##"EVAL "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)" 0"##,
            r##"EVAL "local t = {} for i = 1, 70000 do t[i] = 0 end return #cmsgpack.pack(t)" 0"##,
            r##"EVAL "local t = {} for i = 1, 20 do t['k' .. i] = i end return cmsgpack.pack(t)" 0"##,
            r##"EVAL "local t = {} t[1] = t return cmsgpack.pack(t)" 0"##,
            r##"EVAL "local t = {} local c = t for i = 1, 20 do c.x = {} c = c.x end return cmsgpack.pack(t)" 0"##,
            r##"EVAL "return cmsgpack.pack()" 0"##,
        ],
    ),
    case(
        "cmsgpack unpack",
        &[
            r##"EVAL "return {cmsgpack.unpack(cmsgpack.pack(1, -2, 300, -300, 70000, 'abc', true))}" 0"##,
            r##"EVAL "local t = cmsgpack.unpack(cmsgpack.pack({a = {1, 2, {b = 'c'}}})) return {t.a[1], t.a[2], t.a[3].b}" 0"##,
            r##"EVAL "return {cmsgpack.unpack(cmsgpack.pack(0.5, 0.1, 2^40, -2^40))}" 0"##,
            r##"EVAL "return tostring(cmsgpack.unpack('\xcf\xff\xff\xff\xff\xff\xff\xff\xff'))" 0"##,
            r##"EVAL "return tostring(cmsgpack.unpack('\xd3\x80\x00\x00\x00\x00\x00\x00\x00'))" 0"##,
            r##"EVAL "return {cmsgpack.unpack('\x93\x01\x02\x03\x82\xa1a\x01\xa1b\x02')}" 0"##,
            r##"EVAL "return select('#', cmsgpack.unpack(''))" 0"##,
            r##"EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}" 0"##,
            r##"EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}" 0"##,
            r##"EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}" 0"##,
            r##"EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5, 1)}" 0"##,
            r##"EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}" 0"##,
            r##"EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)}" 0"##,
            r##"EVAL "return cmsgpack.unpack_one('x', -1)" 0"##,
            r##"EVAL "return cmsgpack.unpack_one('x', 5)" 0"##,
            r##"EVAL "return cmsgpack.unpack_limit('x')" 0"##,
            r##"EVAL "return cmsgpack.unpack()" 0"##,
            r##"EVAL "return cmsgpack.unpack({})" 0"##,
            r##"EVAL "return cmsgpack.unpack(12)" 0"##,
            r##"EVAL "return cmsgpack.unpack('\xc1')" 0"##,
            r##"EVAL "return cmsgpack.unpack('\xc4\x01a')" 0"##,
            r##"EVAL "return cmsgpack.unpack('\x92\x01')" 0"##,
            r##"EVAL "return cmsgpack.unpack('\xa5abc')" 0"##,
            r##"EVAL "return cmsgpack.unpack('\x81\xc0\x01')" 0"##,
            r##"EVAL "return cmsgpack.unpack('\x81\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x01')" 0"##,
            r##"EVAL "return #{cmsgpack.unpack(string.rep('\x01', 7990))}" 0"##,
            r##"EVAL "return cmsgpack.unpack(string.rep('\x01', 8000))" 0"##,
            r##"EVAL "return cmsgpack.unpack(string.rep('\x91', 5000))" 0"##,
            r##"EVAL "return {pcall(cmsgpack.unpack, '\xc1')}" 0"##,
        ],
    ),
    case(
        "struct",
        &[
            r##"EVAL "local t = {} for k in pairs(struct) do t[#t+1] = k end table.sort(t) return t" 0"##,
            r##"EVAL "return struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7)" 0"##,
            r##"EVAL "return struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7)" 0"##,
            r##"EVAL "return struct.pack('<i2>i2i3I1i8i16', 258, 258, -1, 256, -5, 7)" 0"##,
            r##"EVAL "return struct.pack('fd>fd', 1.5, 0.1, -2.25, 1/3)" 0"##,
            r##"EVAL "return struct.pack('!4bi!2bhbd', 1, 2, 3, 4, 5, 6)" 0"##,
            r##"EVAL "return struct.pack('!bxxi', 1, 2)" 0"##,
            r##"EVAL "return struct.pack('c3c0s', 'abcdef', 'xy', 'zz')" 0"##,
            r##"EVAL "return struct.pack('c5', 'ab')" 0"##,
            r##"EVAL "return struct.pack('i', 'x')" 0"##,
            r##"EVAL "return struct.pack('i40', 1)" 0"##,
            r##"EVAL "return struct.pack('i99999999999', 1)" 0"##,
            r##"EVAL "return struct.pack('!3i', 1)" 0"##,
            r##"EVAL "return struct.pack('q', 1)" 0"##,
            r##"EVAL "return struct.pack('I', 2^40)" 0"##,
            r##"EVAL "return struct.pack('l', 1e30)" 0"##,
            r##"EVAL "return {struct.unpack('bBhHlLiI', struct.pack('bBhHlLiI', -1, 255, -2, 65535, -3, 4, -6, 7))}" 0"##,
            r##"EVAL "return {struct.unpack('>i2<i2', '\x01\x02\x01\x02')}" 0"##,
            r##"EVAL "return {struct.unpack('i3I3', '\xff\xff\xff\xff\xff\xff')}" 0"##,
            r##"EVAL "return {struct.unpack('fd', struct.pack('fd', 1.5, 0.25))}" 0"##,
            r##"EVAL "return {struct.unpack('bc0s', '\x03abcxyz\x00rest')}" 0"##,
            r##"EVAL "return {struct.unpack('i', '\x01\x00\x00\x00\x02\x00\x00\x00', 5)}" 0"##,
            r##"EVAL "return {struct.unpack('!4bi', '\x01\x00\x00\x00\x02\x00\x00\x00')}" 0"##,
            r##"EVAL "return struct.unpack('i', 'abc')" 0"##,
            r##"EVAL "return struct.unpack('i', 'abcd', 0)" 0"##,
            r##"EVAL "return struct.unpack('i', 'abcd', 2)" 0"##,
            r##"EVAL "return struct.unpack('c0', 'abc')" 0"##,
            r##"EVAL "return struct.unpack('s', 'abc')" 0"##,
            r##"EVAL "return struct.unpack('q', 'abc')" 0"##,
            r##"EVAL "return {struct.size('bhi!8d'), struct.size('c10'), struct.size('!4bi'), struct.size('zz')}" 0"##,
            r##"EVAL "return struct.size('s')" 0"##,
            r##"EVAL "return struct.size('c0')" 0"##,
            r##"EVAL "return struct.size('#')" 0"##,
            r##"EVAL "return struct.pack()" 0"##,
            r##"EVAL "struct.pack = nil" 0"##,
            r##"EVAL "cmsgpack.pack = nil" 0"##,
        ],
    ),
];

#[test]
fn cmsgpack_and_struct_match_redis() {
    assert_no_mismatches(CASES);
}
