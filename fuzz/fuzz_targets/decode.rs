//! Any answer: decoding a body and deriving an error message never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paragon_connect::fuzzing::{decode, error_message};

fuzz_target!(|input: (Option<&str>, u16, &[u8])| {
    let (content_type, status, body) = input;
    let _ = decode(content_type, body);
    let _ = error_message(status, body);
});
