//! A model of the most lenient common server reading a request path: what segments it sees after
//! one, two or three rounds of percent-decoding, with overlong UTF-8, IIS `%u` escapes and NFKC
//! dot and slash look-alikes decoded, path parameters (`;x`) dropped and trailing spaces trimmed.
//! Written apart from the core's check, byte by byte, so the fuzz targets test the rule against
//! an independent reading of it.

/// Whether some round of decoding `path` gives a segment made only of dots.
pub fn sees_dot_segment(path: &str) -> bool {
    let mut layer = path.to_owned();
    for _ in 0..4 {
        if lenient(&layer).split(['/', '\\']).any(only_dots) {
            return true;
        }
        let decoded = percent_decode(&layer, false);
        if decoded == layer {
            break;
        }
        layer = decoded;
    }
    false
}

fn only_dots(segment: &str) -> bool {
    let segment = segment.split(';').next().unwrap_or_default();
    let segment = segment.trim_end_matches(' ');
    !segment.is_empty() && segment.chars().all(|c| c == '.')
}

/// One round of a lenient decoder's reading, look-alikes included.
fn lenient(layer: &str) -> String {
    percent_decode(layer, true)
        .chars()
        .flat_map(|c| match c {
            '\u{FF0E}' | '\u{FE52}' | '\u{2024}' => vec!['.'],
            '\u{2025}' => vec!['.', '.'],
            '\u{FF0F}' => vec!['/'],
            '\u{FF3C}' => vec!['\\'],
            other => vec![other],
        })
        .collect()
}

/// `%XX` decoded; when `lenient`, also `%uXXXX` and overlong UTF-8 forms of `.`, `/` and `\`.
fn percent_decode(text: &str, lenient: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            if lenient
                && bytes.get(at + 1).is_some_and(|b| b.eq_ignore_ascii_case(&b'u'))
                && let Some(code) = hex(bytes.get(at + 2..at + 6))
                && let Some(c) = char::from_u32(code)
            {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                at += 6;
                continue;
            }
            if let Some(byte) = hex(bytes.get(at + 1..at + 3)) {
                out.push(byte as u8);
                at += 3;
                continue;
            }
        }
        out.push(bytes[at]);
        at += 1;
    }
    if lenient {
        out = overlong_decoded(&out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Overlong two-, three- and four-byte forms of ASCII read as that ASCII, as a lenient UTF-8
/// decoder does.
fn overlong_decoded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let continuation = |i: usize| rest.get(i).is_some_and(|b| b & 0xC0 == 0x80);
        let (value, len) = match rest[0] {
            0xC0 | 0xC1 if continuation(1) => (u32::from(rest[0] & 0x1F) << 6 | u32::from(rest[1] & 0x3F), 2),
            0xE0 if continuation(1) && continuation(2) && rest[1] < 0xA0 => (
                u32::from(rest[1] & 0x3F) << 6 | u32::from(rest[2] & 0x3F),
                3,
            ),
            0xF0 if continuation(1) && continuation(2) && continuation(3) && rest[1] < 0x90 => (
                u32::from(rest[1] & 0x3F) << 12 | u32::from(rest[2] & 0x3F) << 6 | u32::from(rest[3] & 0x3F),
                4,
            ),
            _ => {
                out.push(rest[0]);
                at += 1;
                continue;
            }
        };
        if value < 0x80 {
            out.push(value as u8);
        } else {
            out.extend_from_slice(&rest[..len]);
        }
        at += len;
    }
    out
}

fn hex(digits: Option<&[u8]>) -> Option<u32> {
    let digits = std::str::from_utf8(digits?).ok()?;
    if digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}
