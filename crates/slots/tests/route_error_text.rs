//! Every refused route maps to Redis 7.0's exact error line (`clusterRedirectClient`).

use hashslot_slots::{DownReason, NodeRef, Route};
use hashslot_types::Slot;

#[test]
fn each_route_has_the_redis_wire_text() {
    let slot = Slot::new(3999).unwrap();
    let to = NodeRef::new(7);
    let endpoint = |n: NodeRef| {
        assert_eq!(n, to);
        ("127.0.0.1", 6381)
    };
    let cases = [
        (Route::Moved { slot, to }, "MOVED 3999 127.0.0.1:6381"),
        (Route::Ask { slot, to }, "ASK 3999 127.0.0.1:6381"),
        (
            Route::CrossSlot,
            "CROSSSLOT Keys in request don't hash to the same slot",
        ),
        (
            Route::TryAgain,
            "TRYAGAIN Multiple keys request during rehashing of slot",
        ),
        (
            Route::Down(DownReason::Unbound),
            "CLUSTERDOWN Hash slot not served",
        ),
        (
            Route::Down(DownReason::ClusterDown),
            "CLUSTERDOWN The cluster is down",
        ),
        (
            Route::Down(DownReason::ReadOnly),
            "CLUSTERDOWN The cluster is down and only accepts read commands",
        ),
    ];
    for (route, text) in cases {
        assert!(!route.is_local());
        assert_eq!(route.to_error_reply(endpoint).unwrap().to_string(), text);
    }
}

#[test]
fn local_has_no_error_and_does_not_resolve() {
    let r = Route::Local.to_error_reply(|_| -> (String, u16) { panic!("not called") });
    assert!(r.is_none());
    assert!(Route::Local.is_local());
}

#[test]
fn unknown_endpoint_prints_an_empty_host() {
    let r = Route::Moved {
        slot: Slot::new(1).unwrap(),
        to: NodeRef::new(0),
    };
    assert_eq!(
        r.to_error_reply(|_| ("", 7000)).unwrap().to_string(),
        "MOVED 1 :7000"
    );
}
