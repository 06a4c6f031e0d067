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

/// The browser SDK's rules: empty -> nothing; `application/json` parsed (a parse failure keeps the
/// text); anything else as text; an object with an `output` key gives that key's value.
pub(crate) fn decode(content_type: Option<&str>, body: &[u8]) -> Response {
    if body.is_empty() {
        return Response::Empty;
    }
    let text = String::from_utf8_lossy(body);
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
    let text = String::from_utf8_lossy(body);
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
    match serde_json::from_str::<OutputField<'_>>(&text) {
        Ok(OutputField(Some(output))) => Response::JsonText(output.get().to_owned()),
        Ok(OutputField(None)) => Response::JsonText(text.into_owned()),
        // Not an object (or not JSON): the whole value, if it is one.
        Err(_) if serde_json::from_str::<&RawValue>(&text).is_ok() => {
            Response::JsonText(text.into_owned())
        }
        Err(_) => Response::Text(text.into_owned()),
    }
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

/// The deepest nesting a JSON answer may have (serde_json's limit, which keeps a hostile answer
/// from exhausting the stack).
pub(crate) const MAX_JSON_DEPTH: usize = 128;

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
    let text = String::from_utf8_lossy(body);
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
