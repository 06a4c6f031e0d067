//! Which redirects a call follows. A redirect is a server choosing where the user's token goes
//! next, so it is held to the rules `request()` holds the caller to: the same origin, under the
//! first request's own proxy prefix (`.../sdk/proxy/{integration}/`), by a path the call's checks
//! accept. Anything else is not followed: the 3xx answer is the call's answer (an
//! `APIStatusError` unless the call is raw). Paragon's own endpoints are never redirected.

use url::Url;

use crate::proxy_url::check_path;

/// As many hops as browsers allow before they give up.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Whether a call that started at `first` may be sent on to `next`.
pub(crate) fn may_follow(first: &Url, next: &Url) -> bool {
    let Some(prefix) = proxy_prefix(first.path()) else {
        return false;
    };
    first.origin() == next.origin()
        && next.path().starts_with(prefix)
        && check_path(&next.path()[prefix.len() - 1..]).is_ok()
}

/// `.../sdk/proxy/{integration}/` of a proxy call's path (two segments for `custom/<id>`).
fn proxy_prefix(path: &str) -> Option<&str> {
    let start = path.find("/sdk/proxy/")? + "/sdk/proxy/".len();
    let rest = &path[start..];
    let mut end = start + rest.find('/')? + 1;
    if rest.starts_with("custom/") {
        end += path[end..].find('/')? + 1;
    }
    Some(&path[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follows(first: &str, next: &str) -> bool {
        may_follow(&Url::parse(first).unwrap(), &Url::parse(next).unwrap())
    }

    const FIRST: &str = "https://proxy.example/projects/p/sdk/proxy/slack/files/1?x=1";

    #[test]
    fn only_within_the_integrations_proxy_path() {
        assert!(follows(
            FIRST,
            "https://proxy.example/projects/p/sdk/proxy/slack/files/2"
        ));
        for next in [
            "https://proxy.example/projects/p/sdk/integrations/abc",
            "https://proxy.example/projects/p/sdk/proxy/googledrive/files",
            "https://proxy.example/projects/p/sdk/proxy/slack/%2e%2e/%2e%2e/integrations",
            "https://proxy.example/projects/p/sdk/proxy/slack/..%2f..%2fintegrations",
            "https://other.example/projects/p/sdk/proxy/slack/files/2",
            "http://proxy.example/projects/p/sdk/proxy/slack/files/2",
        ] {
            assert!(!follows(FIRST, next), "{next}");
        }
        let custom = "https://proxy.example/projects/p/sdk/proxy/custom/0a1b/tasks";
        assert!(follows(
            custom,
            "https://proxy.example/projects/p/sdk/proxy/custom/0a1b/t/2"
        ));
        assert!(!follows(
            custom,
            "https://proxy.example/projects/p/sdk/proxy/custom/ffff/t"
        ));
        assert!(!follows(
            "https://zeus.example/projects/p/sdk/me",
            "https://zeus.example/projects/p/sdk/me/2"
        ));
    }
}
