//! LCS: the longest common subsequence of two strings (Redis 7.0.15's dynamic programming
//! table, its backtracking order, and so its exact choice of matches).

use std::borrow::Cow;

use hashslot_resp::ErrorReply;

use super::bitmap::str_bytes;
use super::{eq_ic, err, int_arg, lookup_read, value, PROTO_MAX_BULK_LEN};
use crate::value::ValueRef;
use crate::Ctx;

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub(crate) fn lcs_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let fa = lookup_read(ctx, argv[1], 0);
    let fb = lookup_read(ctx, argv[2], 0);
    let db = &ctx.dbs[ctx.db_index];
    let as_str = |f| match value(db, f) {
        ValueRef::Str(s, _) => Some(str_bytes(s)),
        ValueRef::Obj(_) => None,
    };
    let empty = || Some(Cow::Borrowed(&[][..]));
    let (Some(a), Some(b)) = (fa.map_or_else(empty, as_str), fb.map_or_else(empty, as_str)) else {
        err(ctx, "ERR The specified keys must contain string values");
        return;
    };
    let (a, b) = (a.into_owned(), b.into_owned());
    let (mut getlen, mut getidx, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let opt = argv[j];
        let more = argv.len() - 1 - j;
        if eq_ic(opt, b"idx") {
            getidx = true;
        } else if eq_ic(opt, b"len") {
            getlen = true;
        } else if eq_ic(opt, b"withmatchlen") {
            withmatchlen = true;
        } else if eq_ic(opt, b"minmatchlen") && more > 0 {
            let Some(n) = int_arg(ctx, argv[j + 1]) else {
                return;
            };
            minmatchlen = n.max(0);
            j += 1;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
        j += 1;
    }
    if getlen && getidx {
        err(
            ctx,
            "ERR If you want both the length and indexes, please just use IDX.",
        );
        return;
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        err(ctx, "ERR String too long for LCS");
        return;
    }
    // Redis refuses a table larger than proto-max-bulk-len rather than allocating it.
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > PROTO_MAX_BULK_LEN {
        err(
            ctx,
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
        return;
    }
    let table = Table::build(&a, &b);
    let total = table.at(a.len(), b.len());
    if getlen {
        ctx.reply.int(i64::from(total));
        return;
    }
    let mut result = vec![0u8; total as usize];
    let mut matches: Vec<[u32; 5]> = Vec::new();
    table.backtrack(&a, &b, &mut result, |m| {
        if minmatchlen == 0 || i64::from(m[4]) >= minmatchlen {
            matches.push(m);
        }
    });
    if !getidx {
        ctx.reply.bulk(&result);
        return;
    }
    ctx.reply.map_len(2);
    ctx.reply.bulk(b"matches");
    ctx.reply.array_len(matches.len());
    for m in &matches {
        ctx.reply.array_len(2 + usize::from(withmatchlen));
        ctx.reply.array_len(2);
        ctx.reply.int(i64::from(m[0]));
        ctx.reply.int(i64::from(m[1]));
        ctx.reply.array_len(2);
        ctx.reply.int(i64::from(m[2]));
        ctx.reply.int(i64::from(m[3]));
        if withmatchlen {
            ctx.reply.int(i64::from(m[4]));
        }
    }
    ctx.reply.bulk(b"len");
    ctx.reply.int(i64::from(total));
}

/// `LCS(i, j)`: the LCS length of `a[..i]` and `b[..j]`, row-major.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { cells, width }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks back from the end as Redis does, filling `result` and handing each contiguous
    /// match as `[a_start, a_end, b_start, b_end, len]`, last match first.
    fn backtrack(&self, a: &[u8], b: &[u8], result: &mut [u8], mut emit: impl FnMut([u32; 5])) {
        let (mut i, mut j, mut idx) = (a.len(), b.len(), result.len());
        // `None`: no range open (Redis marks this with a_start == alen).
        let mut range: Option<[usize; 4]> = None;
        while i > 0 && j > 0 {
            let mut emit_now = false;
            if a[i - 1] == b[j - 1] {
                result[idx - 1] = a[i - 1];
                match &mut range {
                    None => range = Some([i - 1, i - 1, j - 1, j - 1]),
                    Some(r) if r[0] == i && r[2] == j => {
                        r[0] -= 1;
                        r[2] -= 1;
                    }
                    Some(_) => emit_now = true,
                }
                if let Some(r) = range {
                    if r[0] == 0 || r[2] == 0 {
                        emit_now = true;
                    }
                }
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit_now = range.is_some();
            }
            if emit_now {
                if let Some(r) = range.take() {
                    let len = (r[1] - r[0] + 1) as u32;
                    emit([r[0] as u32, r[1] as u32, r[2] as u32, r[3] as u32, len]);
                }
            }
        }
    }
}
