//! A request path as the most lenient common server reads it, for the one dot-segment rule: a
//! segment is refused when such a server would read it as `.` or `..`.
//!
//! Each round of decoding reads `%XX`, IIS's `%uXXXX`, overlong UTF-8 forms of ASCII (`%c0%ae`
//! for `.`, `%c0%af` for `/`, `%c1%9c` for `\`), and the characters NFKC folds to `.`, `/` or
//! `\` (`．`, `﹒`, `․`, `‥`, `／`, `＼`). A segment (split at `/` and `\`) is a dot segment when,
//! with its `;parameter` dropped (Tomcat, Spring) and trailing spaces trimmed (Windows), it is
//! only dots. The path as written and up to [`ROUNDS`] rounds of decoding are checked (servers
//! and proxies that decode more than once).

use std::borrow::Cow;

/// How many rounds of decoding are checked.
const ROUNDS: usize = 4;

/// Whether some round of reading `path` gives a dot segment.
pub(crate) fn has_dot_segment(path: &str) -> bool {
    let mut layer = Cow::Borrowed(path);
    for _ in 0..ROUNDS {
        if layer.split(['/', '\\']).any(is_dot_segment) {
            return true;
        }
        // ASCII without a '%' reads as itself (the usual path): no round can change it.
        if layer.is_ascii() && !layer.contains('%') {
            return false;
        }
        let next = read_once(&layer);
        if next == *layer {
            return false;
        }
        layer = Cow::Owned(next);
    }
    layer.split(['/', '\\']).any(is_dot_segment)
}

fn is_dot_segment(segment: &str) -> bool {
    let segment = segment.split(';').next().unwrap_or_default();
    let segment = segment.trim_end_matches(' ');
    !segment.is_empty() && segment.bytes().all(|byte| byte == b'.')
}

/// One round of the lenient server's decoding.
fn read_once(layer: &str) -> String {
    let bytes = layer.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let rest = &bytes[at + 1..];
            if let Some(code) = rest
                .strip_prefix(b"u")
                .or_else(|| rest.strip_prefix(b"U"))
                .and_then(|rest| hex_value(rest.get(..4)?))
                .and_then(char::from_u32)
            {
                decoded.extend_from_slice(code.encode_utf8(&mut [0; 4]).as_bytes());
                at += 6;
                continue;
            }
            if let Some(byte) = rest.get(..2).and_then(hex_value) {
                decoded.push(byte as u8);
                at += 3;
                continue;
            }
        }
        decoded.push(bytes[at]);
        at += 1;
    }
    String::from_utf8_lossy(&without_overlong_ascii(&decoded))
        .chars()
        .flat_map(|c| match c {
            '\u{FF0E}' | '\u{FE52}' | '\u{2024}' => ['.', '\0'],
            '\u{2025}' => ['.', '.'],
            '\u{FF0F}' => ['/', '\0'],
            '\u{FF3C}' => ['\\', '\0'],
            other => [other, '\0'],
        })
        .filter(|&c| c != '\0')
        .collect()
}

/// `bytes` with the overlong two-, three- and four-byte UTF-8 forms of ASCII characters replaced
/// by those characters, as a lenient UTF-8 decoder reads them.
fn without_overlong_ascii(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let tail = |count: usize| {
            (1..=count).all(|index| rest.get(index).is_some_and(|byte| byte & 0xC0 == 0x80))
        };
        let low = |index: usize| u32::from(rest[index] & 0x3F);
        let overlong = match rest[0] {
            0xC0 | 0xC1 if tail(1) => Some((u32::from(rest[0] & 0x1F) << 6 | low(1), 2)),
            0xE0 if tail(2) && rest[1] < 0xA0 => Some((low(1) << 6 | low(2), 3)),
            0xF0 if tail(3) && rest[1] < 0x90 => Some((low(1) << 12 | low(2) << 6 | low(3), 4)),
            _ => None,
        };
        match overlong {
            Some((value, len)) if value < 0x80 => {
                out.push(value as u8);
                at += len;
            }
            _ => {
                out.push(rest[0]);
                at += 1;
            }
        }
    }
    out
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &digit| {
        Some(value * 16 + char::from(digit).to_digit(16)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_spelling_is_read_as_a_dot_or_a_separator() {
        for path in [
            "/..",
            "/%2e%2e",
            "/%252e%252e",
            "/%25252e%25252e",
            "/%c0%ae%c0%ae",
            "/%e0%80%ae.",
            "/%f0%80%80%ae.",
            "/%u002e%u002e",
            "/%u0025c0%u0025ae.",
            "/．．",
            "/%EF%BC%8E%EF%BC%8E",
            "/‥",
            "/a/..;x",
            "/.. ",
            "/..%20",
            "/...",
            "/a/..%c0%afb",
            "/a/%EF%BC%8E%c1%9cb",
            "/a/..%u002fb",
            "/a/..／b",
            "/a/..＼b",
        ] {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in [
            "/a..b",
            "/.well-known",
            "/a.../b",
            "/.. a",
            "/a;..",
            "/%c0%af",
            "/%uZZZZ",
            "/%",
            "/%c0",
            "/files/report%20.pdf",
        ] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }
}
