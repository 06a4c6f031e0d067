//! The core's JSON values as JavaScript values, built directly (no JSON text in between).
//! Integers beyond `Number.MAX_SAFE_INTEGER` become `BigInt`s when the caller asked for exact
//! integers, and `Number`s (rounded, as `JSON.parse` does) otherwise.

use std::ptr;

use napi::bindgen_prelude::{BigInt, Null, ToNapiValue, TypeName};
use napi::{ValueType, check_status, sys};
use paragon_connect::serde_json::{Number, Value};

/// 2^53 - 1.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JSON value on its way to JavaScript.
pub struct JsJson {
    pub value: Value,
    pub exact_integers: bool,
}

impl TypeName for JsJson {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for JsJson {
    unsafe fn to_napi_value(env: sys::napi_env, json: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: on the JavaScript thread of `env` (the caller's contract).
        unsafe { convert(env, &json.value, json.exact_integers) }
    }
}

/// `value` as a JavaScript value.
///
/// # Safety
/// On the JavaScript thread of `env`.
unsafe fn convert(env: sys::napi_env, value: &Value, exact: bool) -> napi::Result<sys::napi_value> {
    // SAFETY: as the function's contract; each value made is stored in its parent before the
    // next is made, and the handle scope of the native call keeps them alive.
    unsafe {
        match value {
            Value::Null => Null::to_napi_value(env, Null),
            Value::Bool(boolean) => bool::to_napi_value(env, *boolean),
            Value::Number(number) => number_to_js(env, number, exact),
            Value::String(text) => <&str>::to_napi_value(env, text.as_str()),
            Value::Array(items) => {
                let mut array = ptr::null_mut();
                check_status!(sys::napi_create_array_with_length(
                    env,
                    items.len(),
                    &mut array
                ))?;
                for (index, item) in items.iter().enumerate() {
                    let element = convert(env, item, exact)?;
                    check_status!(sys::napi_set_element(env, array, index as u32, element))?;
                }
                Ok(array)
            }
            Value::Object(fields) => {
                let mut object = ptr::null_mut();
                check_status!(sys::napi_create_object(env, &mut object))?;
                for (key, item) in fields {
                    let mut name = ptr::null_mut();
                    check_status!(sys::napi_create_string_utf8(
                        env,
                        key.as_ptr().cast(),
                        key.len() as isize,
                        &mut name
                    ))?;
                    let field = convert(env, item, exact)?;
                    // Defined, not assigned: a "__proto__" key stays data, as JSON.parse makes it.
                    let property = sys::napi_property_descriptor {
                        utf8name: ptr::null(),
                        name,
                        method: None,
                        getter: None,
                        setter: None,
                        value: field,
                        attributes: sys::PropertyAttributes::writable
                            | sys::PropertyAttributes::enumerable
                            | sys::PropertyAttributes::configurable,
                        data: ptr::null_mut(),
                    };
                    check_status!(sys::napi_define_properties(env, object, 1, &property))?;
                }
                Ok(object)
            }
        }
    }
}

/// # Safety
/// On the JavaScript thread of `env`.
unsafe fn number_to_js(
    env: sys::napi_env,
    number: &Number,
    exact: bool,
) -> napi::Result<sys::napi_value> {
    // SAFETY: as the function's contract.
    unsafe {
        if let Some(int) = number.as_i64() {
            if exact && int.unsigned_abs() > MAX_SAFE_INTEGER {
                return BigInt::to_napi_value(env, BigInt::from(i128::from(int)));
            }
            return f64::to_napi_value(env, int as f64);
        }
        if let Some(int) = number.as_u64() {
            if exact && int > MAX_SAFE_INTEGER {
                return BigInt::to_napi_value(env, BigInt::from(int));
            }
            return f64::to_napi_value(env, int as f64);
        }
        let text = number.as_str();
        if exact && let Some(big) = decimal_integer(text) {
            return BigInt::to_napi_value(env, big);
        }
        f64::to_napi_value(env, number.as_f64().unwrap_or(f64::NAN))
    }
}

/// A decimal integer of any size as a `BigInt` (64-bit words, least significant first).
fn decimal_integer(text: &str) -> Option<BigInt> {
    let (sign_bit, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut words: Vec<u64> = vec![0];
    for digit in digits.bytes() {
        let mut carry = u128::from(digit - b'0');
        for word in words.iter_mut() {
            let product = u128::from(*word) * 10 + carry;
            *word = product as u64;
            carry = product >> 64;
        }
        if carry > 0 {
            words.push(carry as u64);
        }
    }
    Some(BigInt { sign_bit, words })
}
