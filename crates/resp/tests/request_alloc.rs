//! Parsing a pipeline allocates nothing per request once the parser has warmed up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use hashslot_resp::{Limits, RequestParser};

/// Counts allocations made by the test thread's code (the test harness runs this file's only
/// test alone, so nothing else allocates in the measured section).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts them.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn pipeline() -> Vec<u8> {
    let mut input = Vec::new();
    for i in 0..1000 {
        match i % 4 {
            0 => input.extend_from_slice(
                format!("*3\r\n$3\r\nSET\r\n$16\r\nkey:{i:012}\r\n$3\r\nxyz\r\n").as_bytes(),
            ),
            1 => input
                .extend_from_slice(format!("*2\r\n$3\r\nGET\r\n$16\r\nkey:{i:012}\r\n").as_bytes()),
            2 => input.extend_from_slice(format!("SET k{i} \"quoted value\"\r\n").as_bytes()),
            _ => input.extend_from_slice(b"*0\r\nPING\r\n"),
        }
    }
    input
}

fn parse_all(parser: &mut RequestParser, input: &[u8]) -> usize {
    let (mut rest, mut requests) = (input, 0);
    while let Some(n) = parser.parse(rest).unwrap() {
        requests += parser.argc().min(1);
        rest = &rest[n..];
        parser.reset();
    }
    assert!(rest.is_empty());
    requests
}

#[test]
fn zero_allocations_per_request_after_warm_up() {
    let input = pipeline();
    let mut parser = RequestParser::new(Limits::default());
    parse_all(&mut parser, &input);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let requests = parse_all(&mut parser, &input);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(requests, 1000);
    assert_eq!(
        after - before,
        0,
        "allocations while parsing 1000 warm requests"
    );
}
