//! What a successful call returns, decoded exactly as the browser SDK decodes it
//! (PROTOCOL.md, Proxy response), or raw.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// The result of a successful (2xx) call.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// The body was empty (the browser SDK returns `undefined`).
    Empty,
    /// A JSON body, with Paragon's `{"output": ...}` wrapper taken off.
    Json(Value),
    /// The same as text, validated but not parsed, when the call asked for it
    /// ([`RequestOptions::json_as_text`](crate::RequestOptions::json_as_text)).
    JsonText(String),
    /// Any other body as text (also JSON that does not parse, as the browser SDK does).
    Text(String),
    /// Status, headers and bytes untouched: the answer to a `raw` call.
    Raw(RawResponse),
}

impl Response {
    /// The JSON value, when the body was JSON.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Response::Json(value) => Some(value),
            _ => None,
        }
    }

    /// The raw response, when the call asked for one.
    pub fn into_raw(self) -> Option<RawResponse> {
        match self {
            Response::Raw(raw) => Some(raw),
            _ => None,
        }
    }
}

/// A response exactly as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    pub status: StatusCode,
    /// Every header, repeated ones kept, names lower-case.
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    /// The body as text, decoded with the charset `Content-Type` names (UTF-8 when it names none
    /// or one this crate does not know); bytes that do not decode become U+FFFD.
    pub fn text(&self) -> Cow<'_, str> {
        let content_type = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        decode_text(&self.body, content_type)
    }
}

/// `body` decoded with the charset of `content_type` (UTF-8 by default), as [`RawResponse::text`].
pub fn decode_text<'a>(body: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    let charset = content_type.and_then(|content_type| {
        content_type.split(';').skip(1).find_map(|parameter| {
            let (key, value) = parameter.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"'))
        })
    });
    let encoding = charset
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode_without_bom_handling(body).0
}

/// The body as text, invalid UTF-8 replaced by U+FFFD as `String::from_utf8_lossy` does. It is
/// checked with `str::from_utf8` first: the lossy decoder walks byte by byte (about 1 ms for a
/// 600 KB answer, against 30 µs), and nearly every answer is valid UTF-8.
fn lossy_text(body: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// The browser SDK's rules: empty -> nothing; `application/json` parsed (a parse failure keeps the
/// text); anything else as text; an object with an `output` key gives that key's value.
pub(crate) fn decode(content_type: Option<&str>, body: &[u8]) -> Response {
    if body.is_empty() {
        return Response::Empty;
    }
    let text = lossy_text(body);
    let is_json =
        content_type.is_some_and(|value| value.to_ascii_lowercase().contains("application/json"));
    if !is_json {
        return Response::Text(text.into_owned());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut object)) if object.contains_key("output") => {
            Response::Json(object.shift_remove("output").unwrap_or(Value::Null))
        }
        Ok(value) => Response::Json(value),
        Err(_) => Response::Text(text.into_owned()),
    }
}

/// [`decode`], with JSON validated and its `output` found without building any value: the text
/// goes to the caller's own parser.
pub(crate) fn decode_as_text(content_type: Option<&str>, body: &[u8]) -> Response {
    if body.is_empty() {
        return Response::Empty;
    }
    let text = lossy_text(body);
    let is_json =
        content_type.is_some_and(|value| value.to_ascii_lowercase().contains("application/json"));
    if !is_json {
        return Response::Text(text.into_owned());
    }
    if has_surrogate_escape(&text) {
        // Skipping validates no `\uD800`-style escape, so these answers are parsed in full (they
        // decide between JSON and text exactly as the value decoding does).
        return decode(content_type, body);
    }
    // One pass for the usual answer, an object: it is validated while `output` is looked for.
    let json = match serde_json::from_str::<OutputField<'_>>(&text) {
        Ok(OutputField(Some(output))) => Some(output.get()),
        Ok(OutputField(None)) => Some(&*text),
        // Not an object (or not JSON): the whole value, if it is one.
        Err(_) => serde_json::from_str::<&RawValue>(&text)
            .ok()
            .map(|_| &*text),
    };
    match json {
        // Skipping checks no depth: an answer the value decoding refuses as too deep is text here
        // too, so both end in the same error.
        Some(json) if !nests_deeper_than(text.as_bytes(), MAX_JSON_DEPTH) => {
            Response::JsonText(json.to_owned())
        }
        _ => Response::Text(text.into_owned()),
    }
}

/// Whether valid JSON `text` nests arrays and objects more than `limit` deep.
///
/// It follows a full parse of the answer, so it must cost a fraction of one: 64 bytes at a time as
/// bit masks (simdjson's technique, in portable code the compiler vectorises), looking at single
/// brackets only in the rare block that could cross the limit.
pub(crate) fn nests_deeper_than(text: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    // All ones when the previous block ended inside a string.
    let mut in_string = 0u64;
    // 1 when the previous block ended with an escaping backslash.
    let mut next_is_escaped = 0u64;
    let blocks = text.chunks_exact(64);
    let mut last = [b' '; 64];
    last[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
    let blocks = blocks.map(|block| block.try_into().expect("64 bytes"));
    for block in blocks.chain([&last]) {
        let [quotes, backslashes, openings, closings] = byte_masks(block);
        let escaped = escaped_bytes(backslashes, &mut next_is_escaped);
        // Bytes from an opening quote up to (not including) its closing quote.
        let strings = prefix_xor(quotes & !escaped) ^ in_string;
        in_string = ((strings as i64) >> 63) as u64;
        let openings = openings & !strings;
        let closings = closings & !strings;
        let opened = openings.count_ones() as usize;
        if depth + opened <= limit {
            depth = (depth + opened).saturating_sub(closings.count_ones() as usize);
            continue;
        }
        for bit in 0..64 {
            if openings >> bit & 1 == 1 {
                depth += 1;
                if depth > limit {
                    return true;
                }
            } else if closings >> bit & 1 == 1 {
                depth = depth.saturating_sub(1);
            }
        }
    }
    false
}

/// Bit `i` set where byte `i` is `"`, `\\`, `[`/`{`, `]`/`}` (`[` and `{`, like `]` and `}`,
/// differ only in the 0x20 bit).
#[cfg(target_arch = "x86_64")]
fn byte_masks(block: &[u8; 64]) -> [u64; 4] {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut masks = [0u64; 4];
    for (lane, bytes) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86_64 CPU; the load reads the 16 bytes of `bytes`.
        unsafe {
            let bytes = _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
            let folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
            let found = [
                _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8)),
                _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8)),
                _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8)),
                _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8)),
            ];
            for (mask, found) in masks.iter_mut().zip(found) {
                *mask |= u64::from(_mm_movemask_epi8(found) as u16) << (lane * 16);
            }
        }
    }
    masks
}

#[cfg(target_arch = "aarch64")]
fn byte_masks(block: &[u8; 64]) -> [u64; 4] {
    use std::arch::aarch64::{
        vaddv_u8, vandq_u8, vceqq_u8, vdupq_n_u8, vget_high_u8, vget_low_u8, vld1q_u8, vorrq_u8,
    };
    const BITS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
    let mut masks = [0u64; 4];
    for (lane, bytes) in block.chunks_exact(16).enumerate() {
        // SAFETY: NEON is part of every aarch64 CPU; the loads read 16 bytes of `bytes`/`BITS`.
        unsafe {
            let bits = vld1q_u8(BITS.as_ptr());
            let bytes = vld1q_u8(bytes.as_ptr());
            let folded = vorrq_u8(bytes, vdupq_n_u8(0x20));
            let found = [
                vceqq_u8(bytes, vdupq_n_u8(b'"')),
                vceqq_u8(bytes, vdupq_n_u8(b'\\')),
                vceqq_u8(folded, vdupq_n_u8(b'{')),
                vceqq_u8(folded, vdupq_n_u8(b'}')),
            ];
            for (mask, found) in masks.iter_mut().zip(found) {
                let found = vandq_u8(found, bits);
                let low = u64::from(vaddv_u8(vget_low_u8(found)));
                let high = u64::from(vaddv_u8(vget_high_u8(found)));
                *mask |= (low | high << 8) << (lane * 16);
            }
        }
    }
    masks
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn byte_masks(block: &[u8; 64]) -> [u64; 4] {
    let mut masks = [0u64; 4];
    for (bit, &byte) in block.iter().enumerate() {
        masks[0] |= u64::from(byte == b'"') << bit;
        masks[1] |= u64::from(byte == b'\\') << bit;
        masks[2] |= u64::from(byte | 0x20 == b'{') << bit;
        masks[3] |= u64::from(byte | 0x20 == b'}') << bit;
    }
    masks
}

/// The bytes a backslash escapes, given every backslash: in a run of them each escapes the next,
/// so only an odd run escapes the byte after it (simdjson's `json_escape_scanner`).
fn escaped_bytes(backslashes: u64, next_is_escaped: &mut u64) -> u64 {
    const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    let potential_escape = backslashes & !*next_is_escaped;
    let maybe_escaped = potential_escape << 1;
    let escape_and_terminal_code =
        (maybe_escaped | ODD_BITS).wrapping_sub(potential_escape) ^ ODD_BITS;
    let escaped = escape_and_terminal_code ^ (backslashes | *next_is_escaped);
    let escape = escape_and_terminal_code & backslashes;
    *next_is_escaped = escape >> 63;
    escaped
}

/// Bit `i` set where an odd number of bits at or below `i` are set in `quotes`.
fn prefix_xor(mut quotes: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        quotes ^= quotes << shift;
    }
    quotes
}

/// Whether `text` may hold a `\uD800`-`\uDFFF` escape (a false alarm only costs a full parse).
fn has_surrogate_escape(text: &str) -> bool {
    // Splitting on a char searches with memchr: a megabyte is scanned in microseconds.
    text.split('\\').skip(1).any(|after| {
        let after = after.as_bytes();
        after.len() >= 3
            && after[0] == b'u'
            && matches!(after[1], b'd' | b'D')
            && matches!(after[2], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    })
}

/// The raw text of a JSON object's `output` key (the last one, as `JSON.parse` keeps), every
/// other member skipped unparsed.
struct OutputField<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for OutputField<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = OutputField<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
                let mut output = None;
                while let Some(key) = members.next_key::<Cow<'de, str>>()? {
                    if key == "output" {
                        output = Some(members.next_value::<&'de RawValue>()?);
                    } else {
                        members.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(OutputField(output))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// The deepest nesting a JSON answer may have, counting Paragon's `output` wrapper: serde_json's
/// limit, which keeps a hostile answer from exhausting the stack.
pub(crate) const MAX_JSON_DEPTH: usize = 127;

/// Whether a JSON answer that did not parse failed only for being nested deeper than
/// [`MAX_JSON_DEPTH`]: it is JSON, and decoding it as text would be a wrong result, not the
/// browser SDK's rule for malformed JSON. Called only after a JSON answer decoded as text.
pub(crate) fn nested_too_deep(content_type: Option<&str>, body: &[u8]) -> bool {
    content_type.is_some_and(|value| value.to_ascii_lowercase().contains("json"))
        && serde_json::from_slice::<Value>(body)
            .is_err_and(|error| error.to_string().starts_with("recursion limit exceeded"))
}

/// Paragon's own endpoints: empty -> nothing, JSON parsed (kept whole), anything else text.
pub(crate) fn decode_api(content_type: Option<&str>, body: &[u8]) -> Response {
    if body.is_empty() {
        return Response::Empty;
    }
    let text = lossy_text(body);
    let is_json = content_type.is_some_and(|value| value.to_ascii_lowercase().contains("json"));
    match serde_json::from_str::<Value>(&text) {
        Ok(value) if is_json => Response::Json(value),
        _ => Response::Text(text.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    /// The text decoding gives what the value decoding gives, as text.
    #[test]
    fn json_as_text_agrees_with_the_parsed_value() {
        let cases: [(Option<&str>, &[u8]); 16] = [
            (JSON, br#"{"output":"\ud800 lone surrogate"}"#),
            (JSON, br#"{"skipped":"\ud800 lone surrogate","output":1}"#),
            (JSON, br#"{"skipped":[1,2,}],"output":1}"#),
            (JSON, br#"{"output":1} trailing"#),
            (JSON, br#"{"output":{"ok":true,"n":[1,2.5,-0,1e400]}}"#),
            (JSON, br#" {"a":1, "output" : null } "#),
            (JSON, br#"{"output":1,"output":2}"#),
            (JSON, br#"{"outp\u0075t":"escaped key"}"#),
            (JSON, br#"{"other":{"output":1}}"#),
            (JSON, br#"[{"output":1}]"#),
            (JSON, br#""text""#),
            (JSON, br#"123456789012345678901234567890"#),
            (JSON, br#"{"output":1"#),
            (JSON, b"{\"output\":\"\xff\"}"),
            (None, br#"{"output":1}"#),
            (JSON, b""),
        ];
        for (content_type, body) in cases {
            let expected = decode(content_type, body);
            let got = decode_as_text(content_type, body);
            match (&expected, &got) {
                (Response::Json(value), Response::JsonText(text)) => {
                    let reparsed: Value = serde_json::from_str(text).unwrap();
                    assert_eq!(&reparsed, value, "{}", String::from_utf8_lossy(body));
                }
                _ => assert_eq!(expected, got, "{}", String::from_utf8_lossy(body)),
            }
        }
    }

    /// Both decodings draw the depth line at the same place, whether the deep part is the
    /// wrapper's `output`, another member, or the whole answer, and brackets in strings do not
    /// count.
    #[test]
    fn both_decodings_refuse_the_same_depths() {
        for depth in [1, 126, 127, 128, 129, 130, 5000] {
            let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let noise = r#""[[[{{{\\\"]]]}}}""#;
            let bodies = [
                nested.clone(),
                format!(r#"{{"output":{nested},"s":{noise}}}"#),
                format!(r#"{{"s":{noise},"other":{nested},"output":1}}"#),
                format!(r#"[{noise},{nested}]"#),
                format!(r#"{{"a":{nested},"b":{nested}}}"#),
            ];
            for body in bodies {
                let expected = decode(JSON, body.as_bytes());
                let got = decode_as_text(JSON, body.as_bytes());
                let agree = match (&expected, &got) {
                    (Response::Json(_), Response::JsonText(_)) => true,
                    (Response::Text(a), Response::Text(b)) => a == b,
                    _ => false,
                };
                assert!(agree, "depth {depth}: {expected:?} vs {got:?}");
            }
        }
    }

    #[test]
    fn the_depth_scan_counts_only_brackets_outside_strings() {
        let deep = format!("{}{}", "[".repeat(3), "]".repeat(3));
        assert!(nests_deeper_than(deep.as_bytes(), 2));
        assert!(!nests_deeper_than(deep.as_bytes(), 3));
        let in_strings = format!(r#"["{}", "\"{}"]"#, "[".repeat(10), "{".repeat(10));
        assert!(!nests_deeper_than(in_strings.as_bytes(), 1));
        let siblings = "[[],[],[],[],[]]";
        assert!(!nests_deeper_than(siblings.as_bytes(), 2));
        assert!(nests_deeper_than(siblings.as_bytes(), 1));
        // Not JSON (the caller validates first), but never a panic.
        for broken in ["\"\\", "[\"", "]]]][", "\\"] {
            let _ = nests_deeper_than(broken.as_bytes(), 0);
        }
    }

    /// The block scan against the obvious byte loop, on random texts of the bytes that matter
    /// (runs of backslashes and quotes across block edges included).
    #[test]
    fn the_block_scan_agrees_with_a_byte_loop() {
        fn byte_loop(text: &[u8], limit: usize) -> bool {
            let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
            for &byte in text {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if byte == b'\\' {
                        escaped = true;
                    } else if byte == b'"' {
                        in_string = false;
                    }
                } else if byte == b'"' {
                    in_string = true;
                } else if byte == b'[' || byte == b'{' {
                    depth += 1;
                    if depth > limit {
                        return true;
                    }
                } else if byte == b']' || byte == b'}' {
                    depth = depth.saturating_sub(1);
                }
            }
            false
        }
        // Valid JSON (the scan's input): nested values whose strings hold brackets, quotes and
        // runs of backslashes, so string edges fall anywhere in a 64-byte block.
        fn value(random: &mut fastrand::Rng, depth: usize, out: &mut String) {
            match random.usize(0..if depth > 40 { 2 } else { 5 }) {
                0 => {
                    out.push('"');
                    for _ in 0..random.usize(0..70) {
                        out.push_str(
                            ["[", "{", "]", "}", "\\\"", "\\\\", "a", " "][random.usize(0..8)],
                        );
                    }
                    out.push('"');
                }
                1 => out.push_str("12"),
                2 | 3 => {
                    out.push('[');
                    for index in 0..random.usize(0..4) {
                        if index > 0 {
                            out.push(',');
                        }
                        value(random, depth + 1, out);
                    }
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for index in 0..random.usize(0..3) {
                        if index > 0 {
                            out.push(',');
                        }
                        out.push_str("\"k\\\\\":");
                        value(random, depth + 1, out);
                    }
                    out.push('}');
                }
            }
        }
        let mut random = fastrand::Rng::with_seed(7);
        let (mut deep, mut long) = (0, 0);
        for round in 0..20_000 {
            let mut text = String::new();
            value(&mut random, 0, &mut text);
            serde_json::from_str::<serde::de::IgnoredAny>(&text).expect("valid JSON");
            let limit = random.usize(0..12);
            let expected = byte_loop(text.as_bytes(), limit);
            assert_eq!(
                nests_deeper_than(text.as_bytes(), limit),
                expected,
                "round {round}, limit {limit}: {text}"
            );
            deep += usize::from(expected);
            long += usize::from(text.len() > 128);
        }
        // The cases exercise both answers and several blocks.
        assert!(deep > 2_000 && long > 2_000, "{deep} deep, {long} long");
    }

    #[test]
    fn empty_bodies_are_empty_whatever_the_type() {
        assert_eq!(decode(JSON, b""), Response::Empty);
        assert_eq!(decode(None, b""), Response::Empty);
    }

    #[test]
    fn the_output_wrapper_is_removed() {
        assert_eq!(
            decode(JSON, br#"{"output":{"ok":true}}"#),
            Response::Json(json!({"ok": true}))
        );
        assert_eq!(
            decode(JSON, br#"{"output":null,"x":1}"#),
            Response::Json(Value::Null)
        );
        assert_eq!(
            decode(JSON, br#"{"ok":true}"#),
            Response::Json(json!({"ok": true}))
        );
        assert_eq!(
            decode(JSON, br#"[{"output":1}]"#),
            Response::Json(json!([{"output": 1}]))
        );
    }

    #[test]
    fn json_scalars_are_json() {
        assert_eq!(decode(JSON, b"42"), Response::Json(json!(42)));
        assert_eq!(decode(JSON, br#""hi""#), Response::Json(json!("hi")));
    }

    #[test]
    fn invalid_json_keeps_the_text() {
        assert_eq!(
            decode(JSON, b"{not json"),
            Response::Text("{not json".into())
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters_in_every_decoding() {
        // A lone continuation byte, a truncated sequence, an invalid byte: as the browser's
        // TextDecoder, and String::from_utf8_lossy, replace them.
        let body = b"caf\xc3 \x80 ok \xff";
        let text = "caf\u{fffd} \u{fffd} ok \u{fffd}".to_owned();
        assert_eq!(
            decode(Some("text/plain"), body),
            Response::Text(text.clone())
        );
        assert_eq!(
            decode_as_text(Some("text/plain"), body),
            Response::Text(text.clone())
        );
        assert_eq!(decode_api(Some("text/plain"), body), Response::Text(text));
        let json = b"{\"output\":\"caf\xc3\xa9 \xff\"}";
        assert_eq!(
            decode(JSON, json),
            Response::Json(json!("caf\u{e9} \u{fffd}"))
        );
        assert_eq!(
            decode_as_text(JSON, json),
            Response::JsonText("\"caf\u{e9} \u{fffd}\"".into())
        );
    }

    #[test]
    fn other_types_are_text() {
        assert_eq!(
            decode(Some("text/html"), b"<p>hi</p>"),
            Response::Text("<p>hi</p>".into())
        );
        assert_eq!(
            decode(None, br#"{"output":1}"#),
            Response::Text(r#"{"output":1}"#.into())
        );
        assert_eq!(
            decode(Some("Application/JSON"), b"[1]"),
            Response::Json(json!([1]))
        );
    }

    #[test]
    fn large_integers_and_key_order_survive() {
        let body = br#"{"output":{"z":1,"a":123456789012345678901234567890,"f":0.1}}"#;
        let Response::Json(value) = decode(JSON, body) else {
            panic!()
        };
        assert_eq!(
            value.to_string(),
            r#"{"z":1,"a":123456789012345678901234567890,"f":0.1}"#
        );
    }
}
