//! The proxy URL of a call (PROTOCOL.md, Proxy request), and the checks that keep a caller's path
//! inside `/sdk/proxy/{integrationType}/`.
//!
//! URL parsers resolve `.` and `..` (also percent-encoded, also after `\`), drop tabs and newlines
//! and trim trailing spaces. Any of those would send the user's token to a different Paragon
//! endpoint or silently change the call, so such input is refused before anything is sent.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::Url;

use crate::error::InvalidRequestError;
use crate::lenient_path::has_dot_segment;

/// Characters a query parameter keeps as they are: RFC 3986's unreserved set.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How many layers of percent-encoding are looked through for dot segments (`%252e` is `%2e`
/// once decoded, which another server along the way may decode again).
const DECODE_DEPTH: usize = 3;

const MAX_INTEGRATION_TYPE_LEN: usize = 128;

/// `{base}/projects/{project_id}/sdk/proxy/{integration_type}{path}` with `query` appended to
/// the path's own query string.
pub(crate) fn proxy_url(
    base: &Url,
    project_id: &str,
    integration_type: &str,
    path: &str,
    query: &[(String, String)],
) -> Result<Url, InvalidRequestError> {
    check_integration_type(integration_type)?;
    check_path(path)?;
    // The base's scheme, host and port as they were parsed once; only the path and the query
    // are parsed here (as parsing the whole URL would: the same rules, without the host's IDNA
    // processing on every call). One string holds the prefix, then the path, then the query.
    let base_path = base.path().trim_end_matches('/');
    let mut target = String::with_capacity(
        base_path.len() + project_id.len() + integration_type.len() + path.len() + 32,
    );
    for piece in [
        base_path,
        "/projects/",
        project_id,
        "/sdk/proxy/",
        integration_type,
    ] {
        target.push_str(piece);
    }
    let prefix_len = target.len();
    if !path.starts_with('/') {
        target.push('/');
    }
    // A space is the one character URL parsing would drop (at the end) rather than encode.
    if path.contains(' ') {
        target.push_str(&path.replace(' ', "%20"));
    } else {
        target.push_str(path);
    }
    append_query(&mut target, query)?;
    let (target_path, target_query) = match target.split_once('?') {
        Some((target_path, query)) => (target_path, Some(query)),
        None => (target.as_str(), None),
    };
    let mut url = base.clone();
    url.set_path(target_path);
    url.set_query(target_query);
    url.set_fragment(None);
    // Belt and braces: whatever the checks above missed must still land under the prefix.
    let prefix = &target[..prefix_len];
    let under_prefix = url
        .path()
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('/'));
    // Compared part by part: `origin()` makes a copy of each URL's host.
    let same_origin = url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port_or_known_default() == base.port_or_known_default();
    if !same_origin || !under_prefix {
        return Err(InvalidRequestError::new(
            "path",
            format!("{path:?} would leave the integration's proxy path"),
        ));
    }
    Ok(url)
}

/// `slack`, `googleCalendar`, `custom.tasklab`, or `custom/<integration id>`.
pub(crate) fn check_integration_type(integration_type: &str) -> Result<(), InvalidRequestError> {
    let invalid = |reason: &str| {
        Err(InvalidRequestError::new(
            "integration_type",
            format!("{integration_type:?} {reason}"),
        ))
    };
    if integration_type.is_empty() {
        return Err(InvalidRequestError::new(
            "integration_type",
            "must not be empty (e.g. \"slack\", \"custom.tasklab\")",
        ));
    }
    if let Some(id) = integration_type.strip_prefix("custom/") {
        return if is_uuid(id) {
            Ok(())
        } else {
            invalid(
                "is not a custom integration id: use \"custom/<integration id>\" with the integration's UUID, or \"custom.<name>\"",
            )
        };
    }
    if integration_type.len() > MAX_INTEGRATION_TYPE_LEN {
        return invalid("is longer than 128 characters");
    }
    let first_is_alphanumeric = integration_type
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let all_allowed = integration_type
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !first_is_alphanumeric || !all_allowed {
        return invalid(
            "is not an integration type: use ASCII letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. \"slack\", \"custom.tasklab\", or \"custom/<integration id>\")",
        );
    }
    Ok(())
}

pub(crate) fn check_path(path: &str) -> Result<(), InvalidRequestError> {
    let invalid = |reason: &str| {
        Err(InvalidRequestError::new(
            "path",
            format!("{path:?} {reason}"),
        ))
    };
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return invalid(&format!(
            "contains the control character {c:?}; percent-encode it if it is data"
        ));
    }
    if path.contains('#') {
        return invalid(
            "contains '#': a URL fragment is never sent; percent-encode it as %23 if it is data",
        );
    }
    let path_part = path.split('?').next().unwrap_or_default();
    if path_part.contains('\\') {
        return invalid(
            "contains '\\', which URL parsers read as '/'; percent-encode it as %5C if it is data",
        );
    }
    if path_part.trim_start_matches('/').len() + 1 < path_part.len() {
        return invalid(
            "starts with '//'; pass a full URL (https://host/...) to call another upstream host",
        );
    }
    if has_dot_segment(path_part) {
        return invalid(
            "contains a '.' or '..' segment (possibly percent-encoded), which could reach another Paragon endpoint",
        );
    }
    // Without a '%' there is nothing to decode (the usual path: no copy is made).
    let mut layer = Cow::Borrowed(path_part);
    for _ in 0..=DECODE_DEPTH {
        if !layer.contains('%') {
            break;
        }
        let decoded = percent_decode_str(&layer).decode_utf8_lossy().into_owned();
        if decoded.chars().any(|c| c.is_control()) {
            return invalid("contains a percent-encoded control character in its path");
        }
        if decoded == layer {
            break;
        }
        layer = Cow::Owned(decoded);
    }
    Ok(())
}

fn append_query(
    target: &mut String,
    query: &[(String, String)],
) -> Result<(), InvalidRequestError> {
    if query.is_empty() {
        return Ok(());
    }
    match target.find('?') {
        None => target.push('?'),
        Some(_) if target.ends_with('?') || target.ends_with('&') => {}
        Some(_) => target.push('&'),
    }
    for (index, (name, value)) in query.iter().enumerate() {
        if name.is_empty() {
            return Err(InvalidRequestError::new(
                "query",
                "a query parameter name must not be empty",
            ));
        }
        if index > 0 {
            target.push('&');
        }
        target.extend(utf8_percent_encode(name, QUERY_COMPONENT));
        target.push('=');
        target.extend(utf8_percent_encode(value, QUERY_COMPONENT));
    }
    Ok(())
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "19d0c3a8-1111-2222-3333-444455556666";

    fn url(integration: &str, path: &str) -> Result<String, InvalidRequestError> {
        url_with_query(integration, path, &[])
    }

    fn url_with_query(
        integration: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<String, InvalidRequestError> {
        let base = Url::parse("https://proxy.useparagon.com").unwrap();
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        proxy_url(&base, PROJECT, integration, path, &query).map(String::from)
    }

    fn proxied(rest: &str) -> String {
        format!("https://proxy.useparagon.com/projects/{PROJECT}/sdk/proxy/{rest}")
    }

    fn rejected(integration: &str, path: &str) -> InvalidRequestError {
        url(integration, path).expect_err(&format!("{integration} {path:?} should be rejected"))
    }

    #[test]
    fn a_leading_slash_is_added_when_missing() {
        assert_eq!(
            url("slack", "chat.postMessage").unwrap(),
            proxied("slack/chat.postMessage")
        );
        assert_eq!(
            url("slack", "/chat.postMessage").unwrap(),
            proxied("slack/chat.postMessage")
        );
        assert_eq!(url("slack", "").unwrap(), proxied("slack/"));
    }

    #[test]
    fn the_paths_query_string_is_kept_as_written() {
        assert_eq!(
            url("googledrive", "/files/abc/?alt=media&x=%2F").unwrap(),
            proxied("googledrive/files/abc/?alt=media&x=%2F")
        );
    }

    #[test]
    fn query_parameters_are_encoded_once_and_merged() {
        assert_eq!(
            url_with_query(
                "googledrive",
                "/files",
                &[("pageSize", "10"), ("q", "name = 'a b'&c")]
            )
            .unwrap(),
            proxied("googledrive/files?pageSize=10&q=name%20%3D%20%27a%20b%27%26c")
        );
        assert_eq!(
            url_with_query("googledrive", "/files?alt=media", &[("v", "%41")]).unwrap(),
            proxied("googledrive/files?alt=media&v=%2541")
        );
        assert_eq!(
            url_with_query("googledrive", "/files?", &[("a", "é")]).unwrap(),
            proxied("googledrive/files?a=%C3%A9")
        );
        assert_eq!(
            url_with_query("slack", "/x", &[("", "v")])
                .unwrap_err()
                .argument,
            "query"
        );
    }

    #[test]
    fn a_full_upstream_url_goes_after_the_integration() {
        assert_eq!(
            url(
                "googledrive",
                "https://sheets.googleapis.com/v4/spreadsheets"
            )
            .unwrap(),
            proxied("googledrive/https://sheets.googleapis.com/v4/spreadsheets")
        );
    }

    #[test]
    fn custom_integrations_by_name_and_by_id() {
        assert_eq!(
            url("custom.tasklab", "/notifications").unwrap(),
            proxied("custom.tasklab/notifications")
        );
        assert_eq!(
            url(
                "custom/fb243b75-35e7-46b3-ba6c-967ccebeb449",
                "/notifications"
            )
            .unwrap(),
            proxied("custom/fb243b75-35e7-46b3-ba6c-967ccebeb449/notifications")
        );
        assert_eq!(
            rejected("custom/not-a-uuid", "/x").argument,
            "integration_type"
        );
        assert_eq!(
            rejected("custom/../../me", "/x").argument,
            "integration_type"
        );
    }

    #[test]
    fn malformed_integration_types_are_rejected() {
        for bad in [
            "", ".", "..", "slack/x", "slack?x", "slack#x", "sla ck", "slâck", "-slack", "a\nb",
        ] {
            assert_eq!(rejected(bad, "/x").argument, "integration_type", "{bad:?}");
        }
        assert!(url(&"a".repeat(129), "/x").is_err());
        for good in [
            "slack",
            "googleCalendar",
            "custom.tasklab",
            "microsoft_teams",
            "a-b.c_d9",
        ] {
            assert!(url(good, "/x").is_ok(), "{good}");
        }
    }

    #[test]
    fn dot_segments_are_rejected_in_every_spelling() {
        for bad in [
            "/..;/integrations",
            "/a/..;jsessionid=x/..;/me",
            "/.;x/me",
            "/%2e%2e;/me",
            "/%c0%ae%c0%ae/me",
            "/%C0%AE./me",
            "/%e0%80%ae%e0%80%ae/me",
            "/\u{FF0E}\u{FF0E}/me",
            "/%EF%BC%8E%EF%BC%8E/me",
            "/%u002e%u002e/me",
            "/%U002E./me",
            "/\u{2025}/me",
            "/\u{2024}\u{FE52}/me",
            "/%E2%80%A5/me",
            "/../me",
            "/.. /me",
            "/..%20/me",
            "/.../me",
            "/a/..%c0%af..%c0%afme",
            "/a/..%c1%9cme",
            "/a/..%u002fme",
            "/a/..\u{FF0F}me",
            "/a/%25c0%25ae%25c0%25ae/me",
            "..",
            "/..",
            "/../me",
            "../../me",
            "/a/../../me",
            "/a/./b",
            "/.",
            "/a/..",
            "/%2e%2e/me",
            "/%2E%2E/me",
            "/%2e./me",
            "/.%2E/me",
            "/%2e/x",
            "/a/%252e%252e/me",
            "/..%2fme",
            "/a/..%5cme",
            "https://sheets.googleapis.com/../../me",
        ] {
            let error = rejected("slack", bad);
            assert_eq!(error.argument, "path");
            assert!(error.reason.contains("'..'"), "{bad}: {error}");
        }
        for good in [
            "/..hidden",
            "/a..b/c",
            "/.well-known/x",
            "/v1/%2e%2ex",
            "/x?path=../..",
            "/a.../b",
            "/.. a/b",
            "/a;../b",
            "/\u{FF0E}x/b",
            "/files/report%20.pdf",
        ] {
            assert!(url("slack", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn host_changing_tricks_are_rejected() {
        assert!(rejected("slack", "//evil.host/x").reason.contains("'//'"));
        assert!(rejected("slack", "///evil.host").reason.contains("'//'"));
        assert!(rejected("slack", "\\\\evil/x").reason.contains("'\\'"));
        assert!(rejected("slack", "/a\\..\\me").reason.contains("'\\'"));
        assert!(url("slack", "/a//b").is_ok());
    }

    #[test]
    fn control_characters_and_fragments_are_rejected() {
        for bad in [
            "/a\r\nHost: evil",
            "/a\nb",
            "/a\tb",
            "/a\0b",
            "/a?x=1\r\n",
            "/a\u{7f}",
            "/a%0d%0aX: y",
            "/a%00",
        ] {
            assert_eq!(rejected("slack", bad).argument, "path", "{bad:?}");
        }
        assert!(rejected("slack", "/a#b").reason.contains("fragment"));
        // Encoded control characters in the query string are data (a Slack message with a newline).
        assert!(url("slack", "/chat.postMessage?text=a%0Ab").is_ok());
    }

    #[test]
    fn spaces_and_unicode_are_encoded_not_dropped() {
        assert_eq!(
            url("googledrive", "/files/my file ").unwrap(),
            proxied("googledrive/files/my%20file%20")
        );
        assert_eq!(
            url("googledrive", "/files/résumé").unwrap(),
            proxied("googledrive/files/r%C3%A9sum%C3%A9")
        );
    }

    #[test]
    fn a_base_url_with_a_path_prefix_is_kept() {
        let base = Url::parse("http://127.0.0.1:9000/gateway/").unwrap();
        let url = proxy_url(&base, PROJECT, "slack", "/x", &[]).unwrap();
        assert_eq!(
            url.as_str(),
            format!("http://127.0.0.1:9000/gateway/projects/{PROJECT}/sdk/proxy/slack/x")
        );
    }
}
