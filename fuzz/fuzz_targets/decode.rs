//! Any answer: decoding a body and deriving an error message never panic, and the decoding the
//! bindings use (JSON left as text) gives what the value decoding gives: the same value as text,
//! or the same text, with the same depth limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paragon_connect::{Response, serde_json};
use paragon_connect::fuzzing::{decode, decode_as_text, error_message};

fuzz_target!(|input: (Option<&str>, u16, &[u8])| {
    let (content_type, status, body) = input;
    let value = decode(content_type, body);
    let text = decode_as_text(content_type, body);
    match (&value, &text) {
        (Response::Json(value), Response::JsonText(text)) => {
            let reparsed: serde_json::Value = serde_json::from_str(text).expect("valid JSON text");
            assert_eq!(&reparsed, value);
        }
        _ => assert_eq!(value, text),
    }
    let _ = error_message(status, body);
});
