//! Any `Location` a server sends after any proxy call: a hop the client follows stays on the
//! same origin, under the first call's `/sdk/proxy/{integration}/`, with no segment the most
//! lenient common server (`server_view`) would read as `.` or `..`.
#![no_main]

#[path = "server_view.rs"]
mod server_view;

use libfuzzer_sys::fuzz_target;
use paragon_connect::fuzzing::{may_follow, proxy_url};

fuzz_target!(|input: (bool, &str, &str)| {
    let (custom, path, location) = input;
    let integration = if custom { "custom/0a1b" } else { "slack" };
    let Ok(first) = proxy_url(integration, path, &[]) else {
        return;
    };
    // As the client resolves it: relative to the URL that answered.
    let Ok(next) = first.join(location) else {
        return;
    };
    if may_follow(&first, &next) {
        assert_eq!(next.origin(), first.origin(), "{location:?} -> {next}");
        let prefix = format!("/projects/p/sdk/proxy/{integration}/");
        assert!(next.path().starts_with(&prefix), "{location:?} -> {next}");
        assert!(!server_view::sees_dot_segment(next.path()), "{location:?} -> {next}");
    }
});
