//! Any integration type and path: building the URL never panics, and a URL it builds stays under
//! `/sdk/proxy/{integration}/` of the configured host, with no segment that the most lenient
//! common server (`server_view`) would read as `.` or `..`.
#![no_main]

#[path = "server_view.rs"]
mod server_view;

use libfuzzer_sys::fuzz_target;
use paragon_connect::fuzzing::proxy_url;

fuzz_target!(|input: (&str, &str, Vec<(String, String)>)| {
    let (integration, path, query) = input;
    if let Ok(url) = proxy_url(integration, path, &query) {
        assert_eq!(url.host_str(), Some("proxy.example.com"), "{url}");
        let expected = format!("/projects/p/sdk/proxy/{integration}/");
        assert!(url.path().starts_with(&expected), "{url}");
        assert!(!server_view::sees_dot_segment(url.path()), "{path:?} -> {url}");
    }
});
