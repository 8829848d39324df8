//! The large (`skiplist`) form of a sorted set: an order-statistic tree plus a hash index.
//!
//! Why not a skiplist: a weight-balanced tree (Adams; parameters ⟨3, 2⟩ of Hirai and Yamamoto)
//! keeps a subtree size in every node, which is exactly what rank queries (ZRANK, ZRANGE by index,
//! the rank of a score or lex bound) need, so each is O(log n) worst case, deterministic, and
//! needs no random levels (no RNG in a data type, nothing a client can bias).
//!
//! Nodes live in an arena (`Vec<Node>`, u32 links, a free list). The member → node index is a
//! chained hash table over the same nodes (a `next` link per node, `u32` bucket heads), hashed
//! with the node's keyed SipHash so that clients cannot flood one bucket; members are stored once.
//! The table is a single power-of-two array, so ZSCAN uses Redis's reverse-binary cursor and keeps
//! SCAN's guarantee across resizes between calls.

use std::cmp::Ordering;

use crate::hash::KeyedHasher;

pub(crate) const NIL: u32 = u32::MAX;
const DELTA: u64 = 3;
const GAMMA: u64 = 2;

/// Order of sorted-set elements: by score, then member bytes (memcmp). Scores are never NaN.
pub(crate) fn cmp_key(sa: f64, ma: &[u8], sb: f64, mb: &[u8]) -> Ordering {
    match sa.partial_cmp(&sb) {
        Some(Ordering::Equal) | None => ma.cmp(mb),
        Some(o) => o,
    }
}

#[derive(Debug, Clone)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    left: u32,
    right: u32,
    size: u32,
    next: u32,
}

/// Order-statistic tree + member index.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    buckets: Vec<u32>,
    hasher: KeyedHasher,
    member_bytes: usize,
}

impl Tree {
    pub(crate) fn new(hasher: KeyedHasher) -> Tree {
        Tree {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            buckets: Vec::new(),
            hasher,
            member_bytes: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.sz(self.root) as usize
    }

    pub(crate) fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.free.capacity() * 4
            + self.buckets.capacity() * 4
            + self.member_bytes
            + 64
    }

    fn sz(&self, t: u32) -> u32 {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size
        }
    }

    fn n(&self, t: u32) -> &Node {
        &self.nodes[t as usize]
    }

    fn nm(&mut self, t: u32) -> &mut Node {
        &mut self.nodes[t as usize]
    }

    // ----- the hash index -----

    fn bucket_of(&self, member: &[u8]) -> usize {
        (self.hasher.hash(member) as usize) & (self.buckets.len() - 1)
    }

    fn find(&self, member: &[u8]) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut i = self.buckets[self.bucket_of(member)];
        while i != NIL {
            if &*self.n(i).member == member {
                return Some(i);
            }
            i = self.n(i).next;
        }
        None
    }

    fn rehash(&mut self, size: usize) {
        self.buckets = vec![NIL; size];
        for i in 0..self.nodes.len() as u32 {
            if self.nodes[i as usize].size == 0 {
                continue; // free slot
            }
            let b = self.bucket_of(&self.nodes[i as usize].member);
            self.nodes[i as usize].next = self.buckets[b];
            self.buckets[b] = i;
        }
    }

    fn index_add(&mut self, i: u32) {
        let len = self.len();
        if len > self.buckets.len() {
            self.rehash(len.next_power_of_two().max(4));
            return; // the rehash linked it
        }
        let b = self.bucket_of(&self.n(i).member);
        self.nm(i).next = self.buckets[b];
        self.buckets[b] = i;
    }

    fn index_remove(&mut self, i: u32) {
        let b = self.bucket_of(&self.n(i).member);
        let mut cur = self.buckets[b];
        let next = self.n(i).next;
        if cur == i {
            self.buckets[b] = next;
        } else {
            while self.n(cur).next != i {
                cur = self.n(cur).next;
            }
            self.nm(cur).next = next;
        }
    }

    /// Shrink the index like Redis's `htNeedsResize` (below 10% full, above the minimum size).
    fn maybe_shrink(&mut self) {
        let len = self.len();
        if self.buckets.len() > 4 && len * 10 < self.buckets.len() {
            self.rehash(len.next_power_of_two().max(4));
        }
    }

    // ----- the weight-balanced tree -----

    fn fix(&mut self, t: u32) {
        let s = self.sz(self.n(t).left) + self.sz(self.n(t).right) + 1;
        self.nm(t).size = s;
    }

    fn rot_left(&mut self, t: u32) -> u32 {
        let r = self.n(t).right;
        self.nm(t).right = self.n(r).left;
        self.nm(r).left = t;
        self.fix(t);
        self.fix(r);
        r
    }

    fn rot_right(&mut self, t: u32) -> u32 {
        let l = self.n(t).left;
        self.nm(t).left = self.n(l).right;
        self.nm(l).right = t;
        self.fix(t);
        self.fix(l);
        l
    }

    fn w(&self, t: u32) -> u64 {
        u64::from(self.sz(t)) + 1
    }

    fn balance(&mut self, t: u32) -> u32 {
        let (l, r) = (self.n(t).left, self.n(t).right);
        if DELTA * self.w(l) < self.w(r) {
            let (rl, rr) = (self.n(r).left, self.n(r).right);
            if self.w(rl) >= GAMMA * self.w(rr) {
                let nr = self.rot_right(r);
                self.nm(t).right = nr;
            }
            return self.rot_left(t);
        }
        if DELTA * self.w(r) < self.w(l) {
            let (ll, lr) = (self.n(l).left, self.n(l).right);
            if self.w(lr) >= GAMMA * self.w(ll) {
                let nl = self.rot_left(l);
                self.nm(t).left = nl;
            }
            return self.rot_right(t);
        }
        self.fix(t);
        t
    }

    fn cmp_nodes(&self, a: u32, b: u32) -> Ordering {
        let (na, nb) = (self.n(a), self.n(b));
        cmp_key(na.score, &na.member, nb.score, &nb.member)
    }

    fn tree_insert(&mut self, t: u32, x: u32) -> u32 {
        if t == NIL {
            let n = self.nm(x);
            n.left = NIL;
            n.right = NIL;
            n.size = 1;
            return x;
        }
        if self.cmp_nodes(x, t).is_lt() {
            let l = self.tree_insert(self.n(t).left, x);
            self.nm(t).left = l;
        } else {
            let r = self.tree_insert(self.n(t).right, x);
            self.nm(t).right = r;
        }
        self.balance(t)
    }

    fn take_min(&mut self, t: u32) -> (u32, u32) {
        let l = self.n(t).left;
        if l == NIL {
            return (self.n(t).right, t);
        }
        let (nl, m) = self.take_min(l);
        self.nm(t).left = nl;
        (self.balance(t), m)
    }

    fn tree_remove(&mut self, t: u32, x: u32) -> u32 {
        debug_assert!(t != NIL, "removed node is in the tree");
        match self.cmp_nodes(x, t) {
            Ordering::Less => {
                let l = self.tree_remove(self.n(t).left, x);
                self.nm(t).left = l;
            }
            Ordering::Greater => {
                let r = self.tree_remove(self.n(t).right, x);
                self.nm(t).right = r;
            }
            Ordering::Equal => {
                let (l, r) = (self.n(t).left, self.n(t).right);
                if l == NIL {
                    return r;
                }
                if r == NIL {
                    return l;
                }
                let (nr, m) = self.take_min(r);
                self.nm(m).left = l;
                self.nm(m).right = nr;
                return self.balance(m);
            }
        }
        self.balance(t)
    }

    // ----- the public operations -----

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|i| self.n(i).score)
    }

    /// Insert a member known to be absent.
    pub(crate) fn insert_new(&mut self, member: &[u8], score: f64) {
        let node = Node {
            member: member.into(),
            score,
            left: NIL,
            right: NIL,
            size: 1,
            next: NIL,
        };
        self.member_bytes += super::zset_lp::malloc_size(member.len());
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).expect("fewer than 2^32 members")
            }
        };
        self.root = self.tree_insert(self.root, i);
        self.index_add(i);
    }

    /// Change the score of a present member.
    pub(crate) fn update(&mut self, member: &[u8], score: f64) {
        let i = self.find(member).expect("present member");
        self.root = self.tree_remove(self.root, i);
        self.nm(i).score = score;
        self.root = self.tree_insert(self.root, i);
    }

    /// Remove a member; its old score.
    pub(crate) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let i = self.find(member)?;
        self.index_remove(i);
        self.root = self.tree_remove(self.root, i);
        let n = self.nm(i);
        n.size = 0;
        n.next = NIL;
        let score = n.score;
        let old = std::mem::take(&mut n.member);
        self.member_bytes -= super::zset_lp::malloc_size(old.len());
        self.free.push(i);
        if self.len() == 0 {
            *self = Tree::new(self.hasher);
        } else {
            self.maybe_shrink();
        }
        Some(score)
    }

    /// 0-based ascending rank of a member.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<usize> {
        let x = self.find(member)?;
        let mut t = self.root;
        let mut r = 0;
        loop {
            match self.cmp_nodes(x, t) {
                Ordering::Less => t = self.n(t).left,
                Ordering::Greater => {
                    r += self.sz(self.n(t).left) as usize + 1;
                    t = self.n(t).right;
                }
                Ordering::Equal => return Some(r + self.sz(self.n(t).left) as usize),
            }
        }
    }

    /// Length of the prefix of elements for which `before` holds (`before` must be monotone:
    /// true then false along the order).
    pub(crate) fn count_prefix(&self, before: impl Fn(&[u8], f64) -> bool) -> usize {
        let (mut t, mut c) = (self.root, 0);
        while t != NIL {
            let n = self.n(t);
            if before(&n.member, n.score) {
                c += self.sz(n.left) as usize + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        c
    }

    /// Elements from rank `start` on, ascending (or from reverse rank `start`, descending).
    pub(crate) fn iter_from(&self, start: usize, rev: bool) -> TreeIter<'_> {
        let mut it = TreeIter {
            tree: self,
            stack: Vec::with_capacity(48),
            rev,
        };
        let (mut t, mut i) = (self.root, start as u32);
        while t != NIL {
            let n = self.n(t);
            let (near, far) = if rev {
                (n.right, n.left)
            } else {
                (n.left, n.right)
            };
            let s = self.sz(near);
            if i < s {
                it.stack.push(t);
                t = near;
            } else if i == s {
                it.stack.push(t);
                break;
            } else {
                i -= s + 1;
                t = far;
            }
        }
        it
    }

    /// Calls `f` for the members of the hash buckets the SCAN cursor visits; the next cursor.
    pub(crate) fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut v = cursor;
        let mut emitted = 0;
        let mut budget = count.saturating_mul(10);
        loop {
            let mut i = self.buckets[(v & mask) as usize];
            while i != NIL {
                let n = self.n(i);
                f(&n.member, n.score);
                emitted += 1;
                i = n.next;
            }
            v |= !mask;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
            if v == 0 || budget == 0 || emitted >= count {
                return v;
            }
            budget -= 1;
        }
    }

    #[cfg(test)]
    fn check(&self, t: u32) -> u32 {
        if t == NIL {
            return 0;
        }
        let n = self.n(t);
        let (l, r) = (self.check(n.left), self.check(n.right));
        assert_eq!(n.size, l + r + 1);
        assert!(DELTA * (u64::from(l) + 1) > u64::from(r));
        assert!(DELTA * (u64::from(r) + 1) > u64::from(l));
        n.size
    }
}

/// In-order walk from a starting rank.
#[derive(Debug)]
pub(crate) struct TreeIter<'a> {
    tree: &'a Tree,
    stack: Vec<u32>,
    rev: bool,
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        let t = self.stack.pop()?;
        let n = self.tree.n(t);
        let mut c = if self.rev { n.left } else { n.right };
        while c != NIL {
            self.stack.push(c);
            let cn = self.tree.n(c);
            c = if self.rev { cn.right } else { cn.left };
        }
        Some((&n.member, n.score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_balance_under_churn() {
        let mut t = Tree::new(KeyedHasher::from_seed(1));
        let mut model = std::collections::BTreeMap::new();
        let mut x: u64 = 12345;
        for step in 0..20_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let m = format!("m{}", (x >> 33) % 3000).into_bytes();
            let score = ((x >> 20) % 50) as f64;
            if step % 3 == 0 {
                let had = t.remove(&m);
                let want = model.remove(&m);
                assert_eq!(had, want);
            } else if let Some(_old) = t.score(&m) {
                t.update(&m, score);
                model.insert(m, score);
            } else {
                t.insert_new(&m, score);
                model.insert(m, score);
            }
        }
        t.check(t.root);
        let mut sorted: Vec<_> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
        sorted.sort_by(|a, b| cmp_key(a.0, &a.1, b.0, &b.1));
        let got: Vec<_> = t
            .iter_from(0, false)
            .map(|(m, s)| (s, m.to_vec()))
            .collect();
        assert_eq!(got, sorted);
        for (i, (_, m)) in sorted.iter().enumerate().step_by(37) {
            assert_eq!(t.rank(m), Some(i));
            assert_eq!(t.iter_from(i, false).next().unwrap().0, &m[..]);
            let r = sorted.len() - 1 - i;
            assert_eq!(t.iter_from(r, true).next().unwrap().0, &m[..]);
        }
        assert_eq!(
            t.count_prefix(|_, s| s < 10.0),
            sorted.iter().filter(|e| e.0 < 10.0).count()
        );
    }
}
