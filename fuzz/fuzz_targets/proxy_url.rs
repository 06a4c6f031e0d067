//! Any integration type and path: building the URL never panics, and a URL it builds stays under
//! `/sdk/proxy/{integration}/` of the configured host, with no dot segment left to resolve.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paragon_connect::fuzzing::proxy_url;

fuzz_target!(|input: (&str, &str, Vec<(String, String)>)| {
    let (integration, path, query) = input;
    if let Ok(url) = proxy_url(integration, path, &query) {
        assert_eq!(url.host_str(), Some("proxy.example.com"), "{url}");
        let expected = format!("/projects/p/sdk/proxy/{integration}/");
        assert!(url.path().starts_with(&expected), "{url}");
        for segment in url.path_segments().into_iter().flatten() {
            assert!(segment != "." && segment != "..", "{url}");
            assert!(!segment.eq_ignore_ascii_case("%2e%2e"), "{url}");
        }
    }
});
