//! The core's errors as JavaScript data: `{ className, description, ...attributes }` (the
//! description is the error's whole text, a status error's `message` Paragon's), which the
//! wrapper throws as an instance of that class. The class and its attributes come from the core's
//! table; this file only gives each value its JavaScript type (times in milliseconds, names in
//! camelCase).

use std::ptr;

use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{ValueType, check_status, sys};
use paragon_connect::{
    AttributeValue, ConfigError, ERROR_CLASSES, Error, InvalidRequestError, TimeUnit,
    class_attributes,
};

use crate::json::JsJson;
use crate::outcome::{CopiedBuffer, header_pairs};

/// Node spells every name the core gives in snake_case (attributes, settings, arguments) in
/// camelCase: `integration_type` -> `integrationType`. Other names (`PARAGON_IO_THREADS`, an
/// environment variable; `userToken`, already Node's) are kept as they are.
pub fn camel_case(name: &str) -> String {
    if name.chars().any(|character| character.is_ascii_uppercase()) {
        return name.to_owned();
    }
    let mut camel = String::with_capacity(name.len());
    let mut upper = false;
    for character in name.chars() {
        if character == '_' && !camel.is_empty() {
            upper = true;
        } else if upper {
            camel.extend(character.to_uppercase());
            upper = false;
        } else {
            camel.push(character);
        }
    }
    camel
}

/// An error on its way to JavaScript.
pub enum ErrorDescription {
    /// A core error; `exact_integers` keeps a status error's JSON integers beyond 2^53 exact.
    Core { error: Error, exact_integers: bool },
    /// A failure of the binding itself (a panicked task): the base class, never a crash.
    Internal(String),
}

impl ErrorDescription {
    pub fn new(error: Error, exact_integers: bool) -> Self {
        ErrorDescription::Core {
            error,
            exact_integers,
        }
    }
}

impl From<Error> for ErrorDescription {
    fn from(error: Error) -> Self {
        ErrorDescription::new(error, false)
    }
}

impl TypeName for ErrorDescription {
    fn type_name() -> &'static str {
        "NativeError"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for ErrorDescription {
    unsafe fn to_napi_value(env: sys::napi_env, described: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: on the JavaScript thread of `env` (the caller's contract).
        unsafe {
            let mut object = ptr::null_mut();
            check_status!(sys::napi_create_object(env, &mut object))?;
            let set = |name: &str, value: sys::napi_value| -> napi::Result<()> {
                let key = String::to_napi_value(env, name.to_owned())?;
                check_status!(sys::napi_set_property(env, object, key, value))
            };
            let (error, exact_integers) = match described {
                ErrorDescription::Core {
                    error,
                    exact_integers,
                } => (error, exact_integers),
                ErrorDescription::Internal(message) => {
                    set("className", <&str>::to_napi_value(env, "ParagonError")?)?;
                    set("description", String::to_napi_value(env, message)?)?;
                    return Ok(object);
                }
            };
            set("className", <&str>::to_napi_value(env, error.class_name())?)?;
            set(
                "description",
                String::to_napi_value(env, error.to_string())?,
            )?;
            for attribute in error.attributes() {
                let value = match attribute.value {
                    AttributeValue::Missing => continue,
                    // Settings and arguments are named as Node code names them.
                    AttributeValue::Text(text)
                        if matches!(attribute.name, "setting" | "argument") =>
                    {
                        String::to_napi_value(env, camel_case(&text))?
                    }
                    AttributeValue::Text(text) => String::to_napi_value(env, text.into_owned())?,
                    AttributeValue::Integer(number) => f64::to_napi_value(env, number as f64)?,
                    AttributeValue::Bool(flag) => bool::to_napi_value(env, flag)?,
                    AttributeValue::Duration(duration) => {
                        f64::to_napi_value(env, TimeUnit::Milliseconds.of(duration))?
                    }
                    AttributeValue::Json(json) => JsJson::to_napi_value(
                        env,
                        JsJson {
                            value: json.clone(),
                            exact_integers,
                        },
                    )?,
                    AttributeValue::Bytes(bytes) => {
                        CopiedBuffer::to_napi_value(env, CopiedBuffer(bytes.clone()))?
                    }
                    AttributeValue::Headers(headers) => {
                        Vec::<Vec<String>>::to_napi_value(env, header_pairs(headers))?
                    }
                };
                set(&camel_case(attribute.name), value)?;
            }
            Ok(object)
        }
    }
}

/// A refusal the wrapper makes of a value of the wrong type: `InvalidRequestError` for a call's
/// `argument`, `ConfigurationError` for a client's `setting` (the names as Node code spells them).
#[napi_derive::napi(ts_return_type = "Record<string, unknown>")]
pub fn refusal(kind: String, name: String, reason: String) -> ErrorDescription {
    let error: Error = match kind.as_str() {
        "setting" => ConfigError::new(name, reason).into(),
        _ => InvalidRequestError::new(name, reason).into(),
    };
    error.into()
}

/// `[name, parent, attributes]` of every exception class, from the core's table (attributes in
/// camelCase).
#[napi_derive::napi(ts_return_type = "Array<[string, string | null, string[]]>")]
pub fn error_classes() -> Vec<(String, Option<String>, Vec<String>)> {
    ERROR_CLASSES
        .iter()
        .map(|class| {
            let attributes = class_attributes(class)
                .into_iter()
                .map(camel_case)
                .collect();
            (
                class.name.to_owned(),
                class.parent.map(str::to_owned),
                attributes,
            )
        })
        .collect()
}
