//! The two sorts Redis's GEO searches use, reproduced so that points at equal distances come
//! out in Redis's order too: glibc's `qsort` (a stable top-down merge sort for arrays that fit
//! in memory) when every result is returned, and Redis's `pqsort` (Bentley and McIlroy's
//! three-way quicksort that only recurses into partitions overlapping the wanted prefix) when
//! COUNT keeps fewer. Both take Redis's comparator: -1/0/1 from `>` and `==` on distances,
//! which is not a total order for NaN; reproducing the algorithms keeps even that case equal.

use std::cmp::Ordering;

/// Redis's `sort_gp_asc`: 1 if `a > b`, 0 if equal, else -1 (also for NaN).
pub(crate) fn cmp_asc(a: f64, b: f64) -> Ordering {
    if a > b {
        Ordering::Greater
    } else if a == b {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// glibc's `msort_with_tmp`: split at `n / 2`, sort both halves, merge taking the left element
/// while `cmp(left, right) <= 0`.
pub(crate) fn merge_sort<T: Clone>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    if v.len() <= 1 {
        return;
    }
    let n1 = v.len() / 2;
    merge_sort(&mut v[..n1], cmp);
    merge_sort(&mut v[n1..], cmp);
    let mut out = Vec::with_capacity(v.len());
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < v.len() {
        if cmp(&v[i], &v[j]) != Ordering::Greater {
            out.push(v[i].clone());
            i += 1;
        } else {
            out.push(v[j].clone());
            j += 1;
        }
    }
    out.extend_from_slice(&v[i..n1]);
    out.extend_from_slice(&v[j..]);
    v.clone_from_slice(&out);
}

/// Median of three, as Bentley and McIlroy pick it (index of the median of `a`, `b`, `c`).
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    use Ordering::*;
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

/// Swap the `n` elements from `a` with the `n` from `b` (disjoint runs).
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for k in 0..n {
        v.swap(a + k, b + k);
    }
}

/// Redis's `pqsort(a, n, …, 0, last)`: afterwards `v[..=last]` holds the smallest elements in
/// order; the rest is left partly sorted.
pub(crate) fn partial_sort<T>(v: &mut [T], last: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    pqsort_range(v, 0, v.len(), last, cmp);
}

/// One call of `_pqsort` on `v[base..base + n]`, wanting indices `0..=want_last` of `v`.
fn pqsort_range<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    want_last: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    use Ordering::*;
    loop {
        if n < 7 {
            for pm in base + 1..base + n {
                let mut pl = pm;
                while pl > base && cmp(&v[pl - 1], &v[pl]) == Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(base, pm);
        let (mut pa, mut pb) = (base + 1, base + 1);
        // `pc`/`pd` may step below `base` by one in C pointer terms; offsets by one avoid
        // underflow: `pc1 = pc + 1`, `pd1 = pd + 1`.
        let (mut pc1, mut pd1) = (base + n, base + n);
        loop {
            while pb < pc1 {
                let c = cmp(&v[pb], &v[base]);
                if c == Greater {
                    break;
                }
                if c == Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb < pc1 {
                let c = cmp(&v[pc1 - 1], &v[base]);
                if c == Less {
                    break;
                }
                if c == Equal {
                    v.swap(pc1 - 1, pd1 - 1);
                    pd1 -= 1;
                }
                pc1 -= 1;
            }
            if pb >= pc1 {
                break;
            }
            v.swap(pb, pc1 - 1);
            pb += 1;
            pc1 -= 1;
        }
        let pn = base + n;
        let r = (pa - base).min(pb - pa);
        vecswap(v, base, pb - r, r);
        let r = (pd1 - pc1).min(pn - pd1);
        vecswap(v, pb, pn - r, r);
        let overlaps = |lo: usize, len: usize| lo <= want_last && want_last + 1 > lo && len > 0;
        let left = pb - pa;
        if left > 1 && overlaps(base, left) {
            pqsort_range(v, base, left, want_last, cmp);
        }
        let right = pd1 - pc1;
        if right > 1 {
            base = pn - right;
            n = right;
            if overlaps(base, n) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_key(a: &(f64, u32), b: &(f64, u32)) -> Ordering {
        cmp_asc(a.0, b.0)
    }

    #[test]
    fn merge_sort_is_stable() {
        let mut v: Vec<(f64, u32)> = (0..100).map(|i| (f64::from(i % 7), i)).collect();
        merge_sort(&mut v, &by_key);
        for w in v.windows(2) {
            assert!(w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1));
        }
    }

    #[test]
    fn partial_sort_orders_the_prefix() {
        let mut seed = 12345u64;
        for len in [1usize, 5, 7, 8, 30, 41, 200] {
            for k in [0usize, 1, 3, 10, 100] {
                if k >= len {
                    continue;
                }
                let mut v: Vec<(f64, u32)> = (0..len as u32)
                    .map(|i| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (((seed >> 33) % 50) as f64, i)
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
                partial_sort(&mut v, k, &by_key);
                for i in 0..=k {
                    assert_eq!(v[i].0, sorted[i].0, "len {len} k {k} i {i}");
                }
                let mut all: Vec<u32> = v.iter().map(|p| p.1).collect();
                all.sort_unstable();
                assert_eq!(all, (0..len as u32).collect::<Vec<_>>());
            }
        }
    }
}
