//! Header, query and form fields as JavaScript gives them, typed for the core's table
//! (`paragon_connect::FieldValue`): the wrapper only flattens objects, `Map`s, `Headers` and
//! `URLSearchParams` into `[name, value]` pairs; which values are sent, and how, is the core's
//! rule.

use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue};
use napi::{ValueType, check_status, sys};
use paragon_connect::FieldValue;

/// `[name, value]` pairs.
pub struct Fields(pub Vec<(String, FieldValue)>);

impl TypeName for Fields {
    fn type_name() -> &'static str {
        "Array<[string, unknown]>"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Fields {}

impl FromNapiValue for Fields {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: `env` and `value` come from N-API on the JavaScript thread, for this call.
        unsafe {
            let mut fields = Vec::new();
            for pair in elements(env, value)? {
                let [name, value] = <[sys::napi_value; 2]>::try_from(elements(env, pair)?)
                    .map_err(|_| napi::Error::from_reason("fields must be [name, value] pairs"))?;
                fields.push((
                    String::from_napi_value(env, name)?,
                    field_value(env, value, false)?,
                ));
            }
            Ok(Fields(fields))
        }
    }
}

/// The elements of a JavaScript array.
///
/// # Safety
/// On the JavaScript thread of `env`, with `array` a live value of it.
unsafe fn elements(
    env: sys::napi_env,
    array: sys::napi_value,
) -> napi::Result<Vec<sys::napi_value>> {
    let mut is_array = false;
    // SAFETY: as the function's contract.
    unsafe {
        check_status!(sys::napi_is_array(env, array, &mut is_array))?;
        if !is_array {
            return Err(napi::Error::from_reason("fields must be an array"));
        }
        let mut length = 0;
        check_status!(sys::napi_get_array_length(env, array, &mut length))?;
        let mut items = Vec::with_capacity(length as usize);
        for index in 0..length {
            let mut item = ptr::null_mut();
            check_status!(sys::napi_get_element(env, array, index, &mut item))?;
            items.push(item);
        }
        Ok(items)
    }
}

/// One value, by its JavaScript type. An array inside an array is only marked as one (the core
/// refuses it): its items are never read, so an array that contains itself cannot recurse.
///
/// # Safety
/// On the JavaScript thread of `env`, with `value` a live value of it.
unsafe fn field_value(
    env: sys::napi_env,
    value: sys::napi_value,
    in_array: bool,
) -> napi::Result<FieldValue> {
    let mut kind = 0;
    // SAFETY: as the function's contract.
    unsafe {
        check_status!(sys::napi_typeof(env, value, &mut kind))?;
        Ok(match kind {
            sys::ValueType::napi_string => FieldValue::Text(String::from_napi_value(env, value)?),
            sys::ValueType::napi_number => FieldValue::Number(f64::from_napi_value(env, value)?),
            sys::ValueType::napi_boolean => FieldValue::Bool(bool::from_napi_value(env, value)?),
            sys::ValueType::napi_bigint => {
                let mut text = ptr::null_mut();
                check_status!(sys::napi_coerce_to_string(env, value, &mut text))?;
                FieldValue::Integer(String::from_napi_value(env, text)?)
            }
            sys::ValueType::napi_undefined => FieldValue::Absent,
            sys::ValueType::napi_null => FieldValue::Null,
            sys::ValueType::napi_object => {
                let mut is_array = false;
                check_status!(sys::napi_is_array(env, value, &mut is_array))?;
                if is_array && in_array {
                    FieldValue::List(Vec::new())
                } else if is_array {
                    let items = elements(env, value)?;
                    FieldValue::List(
                        items
                            .into_iter()
                            .map(|item| field_value(env, item, true))
                            .collect::<napi::Result<_>>()?,
                    )
                } else {
                    FieldValue::Other("an object".to_owned())
                }
            }
            sys::ValueType::napi_function => FieldValue::Other("a function".to_owned()),
            sys::ValueType::napi_symbol => FieldValue::Other("a symbol".to_owned()),
            _ => FieldValue::Other("a value of another type".to_owned()),
        })
    }
}
