//! Arguments as a dynamically typed language hands them over, and the one table that turns them
//! into what the core sends. The Python and Node packages only say what type each value has; the
//! rules (what is accepted, how it is written, what is refused and with which words) are here, so
//! both languages behave alike.
//!
//! | value given                         | header / query / form value sent        |
//! |-------------------------------------|-----------------------------------------|
//! | string                              | as is                                   |
//! | integer of any size (`int`, `BigInt`, an integral `number`) | its decimal digits |
//! | other finite number                 | as JavaScript's `String(n)` writes it (`1.5`, `1e-7`, `1e+21`) |
//! | boolean                             | `true` / `false`                        |
//! | list, tuple or array of the above   | the name repeated, once per item, in order |
//! | `undefined` (JavaScript)            | left out, as `fetch` leaves it out      |
//! | `None` / `null`                     | refused: say what to send, or leave the name out |
//! | NaN, infinities, nested lists, anything else | refused, naming the value's type |

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{ConfigError, InvalidRequestError};
use crate::request::{Body, Part, RequestOptions};

/// The unit a language gives lengths of time in: seconds in Python, milliseconds in Node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Milliseconds,
}

impl TimeUnit {
    fn name(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Milliseconds => "milliseconds",
        }
    }

    /// `value` in this unit as a duration, or why it is not one: it must be finite, greater than
    /// zero and at most about 31 years.
    pub fn duration(self, value: f64) -> Result<Duration, String> {
        let seconds = match self {
            TimeUnit::Seconds => value,
            TimeUnit::Milliseconds => value / 1000.0,
        };
        if seconds.is_finite() && seconds > 0.0 && seconds <= 1e9 {
            Ok(Duration::from_secs_f64(seconds))
        } else {
            Err(format!(
                "must be a positive number of {}, not {value}",
                self.name()
            ))
        }
    }

    /// A duration in this unit.
    pub fn of(self, duration: Duration) -> f64 {
        match self {
            TimeUnit::Seconds => duration.as_secs_f64(),
            TimeUnit::Milliseconds => duration.as_secs_f64() * 1000.0,
        }
    }

    /// A client setting's length of time, or a [`ConfigError`] naming the setting.
    pub fn setting(
        self,
        setting: &'static str,
        value: Option<f64>,
    ) -> Result<Option<Duration>, ConfigError> {
        value
            .map(|value| self.duration(value))
            .transpose()
            .map_err(|reason| ConfigError::new(setting, reason))
    }

    /// A call argument's length of time, or an [`InvalidRequestError`] naming the argument.
    pub fn argument(
        self,
        argument: &'static str,
        value: Option<f64>,
    ) -> Result<Option<Duration>, InvalidRequestError> {
        value
            .map(|value| self.duration(value))
            .transpose()
            .map_err(|reason| InvalidRequestError::new(argument, reason))
    }
}

/// A header, query or form value as the language gave it (see the module's table).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    /// An integer's decimal digits (any size).
    Integer(String),
    Number(f64),
    Bool(bool),
    List(Vec<FieldValue>),
    /// JavaScript's `undefined`: the field is left out.
    Absent,
    /// `None` or `null`.
    Null,
    /// Any other value; the text names its type (`bytes`, `a Map`, ...).
    Other(String),
}

impl FieldValue {
    /// The texts sent for this value (none, one, or one per item of a list).
    fn texts(self, place: &dyn Fn() -> String, nested: bool) -> Result<Vec<String>, String> {
        Ok(vec![match self {
            FieldValue::Text(text) | FieldValue::Integer(text) => text,
            FieldValue::Bool(flag) => flag.to_string(),
            FieldValue::Number(number) if number.is_finite() => {
                let mut buffer = ryu_js::Buffer::new();
                buffer.format_finite(number).to_owned()
            }
            FieldValue::Number(number) => {
                return Err(format!("{} is {number}, not a number", place()));
            }
            FieldValue::Absent => return Ok(Vec::new()),
            FieldValue::Null => {
                return Err(format!(
                    "{} is None/null: give a value, or leave the name out",
                    place()
                ));
            }
            FieldValue::List(_) if nested => {
                return Err(format!("{} nests a list in a list", place()));
            }
            FieldValue::List(items) => {
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    texts.extend(item.texts(place, true)?);
                }
                return Ok(texts);
            }
            FieldValue::Other(kind) => {
                return Err(format!(
                    "{} must be a string, number, boolean or a list of them, not {kind}",
                    place()
                ));
            }
        }])
    }
}

/// `(name, value)` fields of `argument` (`headers`, `query`, `form`) as the `(name, text)` pairs
/// sent, by the module's table, or why one cannot be sent.
pub fn field_pairs(
    argument: &'static str,
    fields: Vec<(String, FieldValue)>,
) -> Result<Vec<(String, String)>, InvalidRequestError> {
    let mut pairs = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        let place = || format!("{argument}[{name:?}]");
        let texts = value
            .texts(&place, false)
            .map_err(|reason| InvalidRequestError::new(argument, reason))?;
        for text in texts {
            pairs.push((name.clone(), text));
        }
    }
    Ok(pairs)
}

/// A whole number (retries, bytes) given as a language's number, or why it is not one.
pub fn whole_number(value: f64, least: u64, most: u64) -> Result<u64, String> {
    if value.fract() == 0.0 && value >= least as f64 && value <= most as f64 {
        Ok(value as u64)
    } else {
        Err(format!(
            "must be a whole number from {least} to {most}, not {value}"
        ))
    }
}

/// The most retries a call may be given.
pub const MOST_RETRIES: u64 = 100;

/// The arguments of `request()`, `stream()` and `download()` as a binding hands them over.
/// Every field has the browser SDK's default when left at [`Default`].
#[derive(Debug, Default)]
pub struct CallArguments {
    /// The unit of `timeout` and `deadline`.
    pub time_unit: Option<TimeUnit>,
    pub method: Option<String>,
    /// The body in the language's own terms, already typed (JSON, text, bytes, a stream...).
    pub body: Option<Body>,
    /// A file to send as the body (Node's `file`; Python passes a path as `body`).
    pub file: Option<PathBuf>,
    pub form: Option<Vec<(String, FieldValue)>>,
    pub multipart: Option<Vec<Part>>,
    pub headers: Vec<(String, FieldValue)>,
    pub query: Vec<(String, FieldValue)>,
    pub selected_credential_id: Option<String>,
    pub raw: bool,
    pub timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub max_retries: Option<f64>,
    pub idempotent: Option<bool>,
    /// See [`RequestOptions::json_as_text`].
    pub json_as_text: bool,
}

impl CallArguments {
    /// The call's options, or the first argument that cannot be sent as given.
    pub fn into_options(self) -> Result<RequestOptions, InvalidRequestError> {
        let unit = self.time_unit.unwrap_or(TimeUnit::Seconds);
        one_body(&[
            ("body", self.body.is_some()),
            ("file", self.file.is_some()),
            ("form", self.form.is_some()),
            ("multipart", self.multipart.is_some()),
        ])?;
        let body = match (self.body, self.file, self.form, self.multipart) {
            (Some(body), ..) => Some(body),
            (_, Some(file), ..) => Some(Body::File(file)),
            (_, _, Some(form), _) => Some(Body::Form(field_pairs("form", form)?)),
            (.., Some(parts)) => Some(Body::Multipart(parts)),
            _ => None,
        };
        let max_retries = self
            .max_retries
            .map(|retries| whole_number(retries, 0, MOST_RETRIES))
            .transpose()
            .map_err(|reason| InvalidRequestError::new("max_retries", reason))?;
        Ok(RequestOptions {
            method: self.method,
            body,
            headers: field_pairs("headers", self.headers)?,
            query: field_pairs("query", self.query)?,
            selected_credential_id: self.selected_credential_id,
            raw: self.raw,
            timeout: unit.argument("timeout", self.timeout)?,
            deadline: unit.argument("deadline", self.deadline)?,
            max_retries: max_retries.map(|retries| retries as u32),
            idempotent: self.idempotent,
            json_as_text: self.json_as_text,
            trace_headers: Vec::new(),
        })
    }
}

/// Refuses a call given more than one body: `given` names each way of giving one and whether it
/// was used.
pub fn one_body(given: &[(&'static str, bool)]) -> Result<(), InvalidRequestError> {
    let used: Vec<&str> = given
        .iter()
        .filter(|(_, used)| *used)
        .map(|(name, _)| *name)
        .collect();
    if used.len() > 1 {
        return Err(InvalidRequestError::new(
            "body",
            format!("give only one body, not {}", used.join(" and ")),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(value: FieldValue) -> Result<Vec<String>, String> {
        field_pairs("query", vec![("a".into(), value)])
            .map(|pairs| pairs.into_iter().map(|(_, text)| text).collect())
            .map_err(|error| error.reason)
    }

    #[test]
    fn values_are_written_as_javascript_writes_them() {
        assert_eq!(sent(FieldValue::Text("x y".into())).unwrap(), ["x y"]);
        assert_eq!(
            sent(FieldValue::Integer("123456789012345678901234567890".into())).unwrap(),
            ["123456789012345678901234567890"]
        );
        for (number, text) in [(1.5, "1.5"), (2.0, "2"), (1e21, "1e+21"), (1e-7, "1e-7")] {
            assert_eq!(sent(FieldValue::Number(number)).unwrap(), [text]);
        }
        assert_eq!(sent(FieldValue::Bool(false)).unwrap(), ["false"]);
        assert_eq!(
            sent(FieldValue::List(vec![
                FieldValue::Integer("1".into()),
                FieldValue::Text("b".into()),
            ]))
            .unwrap(),
            ["1", "b"]
        );
        assert!(sent(FieldValue::Absent).unwrap().is_empty());
    }

    #[test]
    fn refusals_name_the_field() {
        let refused = |value| sent(value).unwrap_err();
        assert!(refused(FieldValue::Null).contains(r#"query["a"] is None/null"#));
        assert!(refused(FieldValue::Number(f64::NAN)).contains("NaN, not a number"));
        assert!(refused(FieldValue::Other("bytes".into())).ends_with("not bytes"));
        let nested = FieldValue::List(vec![FieldValue::List(vec![])]);
        assert!(refused(nested).contains("nests a list"));
    }

    #[test]
    fn one_body_names_what_was_given() {
        let error = one_body(&[("body", true), ("form", true), ("multipart", false)]).unwrap_err();
        assert_eq!(error.argument, "body");
        assert_eq!(error.reason, "give only one body, not body and form");
        assert!(one_body(&[("body", true), ("form", false)]).is_ok());
    }

    #[test]
    fn time_units() {
        assert_eq!(
            TimeUnit::Milliseconds.duration(1500.0),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(TimeUnit::Seconds.of(Duration::from_millis(1500)), 1.5);
        assert!(
            TimeUnit::Milliseconds
                .duration(-1.0)
                .unwrap_err()
                .contains("milliseconds, not -1")
        );
    }
}
