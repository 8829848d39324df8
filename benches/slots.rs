//! Benchmarks of the per-command cluster hot path: `key_slot` and `route`.
//!
//! Run: `cargo bench --bench slots -- --warm-up-time 1 --measurement-time 2`.
//! Throughput is in elements (keys or route calls), so criterion prints time per key.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hashslot::slots::{key_slot, route, ClusterView, NodeRef, RouteRequest, SlotMap};
use hashslot::types::Slot;

const N: usize = 1024;

fn keys_plain() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| format!("key:{}", i * 7919).into_bytes())
        .collect()
}

fn keys_tagged() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| format!("{{user{}}}.followers", i % 97).into_bytes())
        .collect()
}

fn keys_100() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| format!("{:0>100}", i * 7919).into_bytes())
        .collect()
}

fn bench_key_slot(c: &mut Criterion) {
    let mut g = c.benchmark_group("key_slot");
    g.throughput(Throughput::Elements(N as u64));
    for (name, keys) in [
        ("key:N", keys_plain()),
        ("tagged", keys_tagged()),
        ("100B", keys_100()),
    ] {
        g.bench_with_input(BenchmarkId::from_parameter(name), &keys, |b, keys| {
            b.iter(|| {
                let mut acc = 0u32;
                for k in keys {
                    acc = acc.wrapping_add(u32::from(key_slot(black_box(k)).get()));
                }
                acc
            })
        });
    }
    g.finish();
}

fn three_masters() -> SlotMap {
    let mut map = SlotMap::new();
    for n in 0..16384u16 {
        map.assign(Slot::new(n).unwrap(), NodeRef::new(u32::from(n) / 5462));
    }
    map
}

fn bench_route(c: &mut Criterion) {
    let map = three_masters();
    let view = ClusterView::new(NodeRef::new(0));
    let keys = keys_plain();
    let mut g = c.benchmark_group("route");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("1 key (stable, local or MOVED)", |b| {
        b.iter(|| {
            let mut local = 0u32;
            for k in &keys {
                let ks: [&[u8]; 1] = [k];
                let req = RouteRequest {
                    is_write: true,
                    ..RouteRequest::new(&ks)
                };
                local += u32::from(route(&map, &view, black_box(&req), |_| true).is_local());
            }
            local
        })
    });
    let tagged = keys_tagged();
    g.bench_function("3 keys same tag (stable)", |b| {
        b.iter(|| {
            let mut local = 0u32;
            for k in &tagged {
                let ks: [&[u8]; 3] = [k, k, k];
                let req = RouteRequest::new(&ks);
                local += u32::from(route(&map, &view, black_box(&req), |_| true).is_local());
            }
            local
        })
    });
    let mut migrating = three_masters();
    for n in 0..5462u16 {
        migrating.set_migrating(Slot::new(n).unwrap(), Some(NodeRef::new(1)));
    }
    g.bench_function("1 key (migrating, lookup callback)", |b| {
        b.iter(|| {
            let mut local = 0u32;
            for k in &keys {
                let ks: [&[u8]; 1] = [k];
                let req = RouteRequest::new(&ks);
                local += u32::from(
                    route(&migrating, &view, black_box(&req), |k| k.len() % 2 == 0).is_local(),
                );
            }
            local
        })
    });
    g.finish();
}

criterion_group!(benches, bench_key_slot, bench_route);
criterion_main!(benches);
