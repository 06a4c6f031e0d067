//! What each exception class of the Python and Node packages is called, what it derives from and
//! which attributes it carries: one table here, which both bindings iterate, so the two languages
//! cannot disagree on a name, a value or a unit.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

use crate::error::{CallSite, Error};

/// One exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorClass {
    pub name: &'static str,
    /// The class it derives from; `None` for the root, `ParagonError`.
    pub parent: Option<&'static str>,
    /// The attributes it adds to its parent's, in snake_case (Node spells them in camelCase).
    pub attributes: &'static [&'static str],
}

const CALL_ATTRIBUTES: &[&str] = &["method", "integration_type", "path", "attempts", "page"];

const STATUS_ATTRIBUTES: &[&str] = &[
    "status",
    "code",
    "message",
    "body",
    "content",
    "headers",
    "request_id",
    "retry_after",
    "is_integration_error",
    "integration_status",
    "integration_response",
];

const fn class(
    name: &'static str,
    parent: &'static str,
    attributes: &'static [&'static str],
) -> ErrorClass {
    ErrorClass {
        name,
        parent: Some(parent),
        attributes,
    }
}

/// Every class, parents before children. `_CallError` is the common base of the errors of a call
/// that was made; it is private in both packages (not exported).
pub const ERROR_CLASSES: &[ErrorClass] = &[
    ErrorClass {
        name: "ParagonError",
        parent: None,
        attributes: &[],
    },
    class("ConfigurationError", "ParagonError", &["setting"]),
    class("InvalidRequestError", "ParagonError", &["argument"]),
    class("_CallError", "ParagonError", CALL_ATTRIBUTES),
    class("ConnectionError", "_CallError", &[]),
    class("TimeoutError", "_CallError", &["timeout"]),
    class("DecodeError", "_CallError", &["status"]),
    class("PaginationError", "_CallError", &[]),
    class("APIStatusError", "_CallError", STATUS_ATTRIBUTES),
    class("BadRequestError", "APIStatusError", &[]),
    class("AuthenticationError", "APIStatusError", &[]),
    class("PermissionDeniedError", "APIStatusError", &[]),
    class("NotFoundError", "APIStatusError", &[]),
    class("ConflictError", "APIStatusError", &[]),
    class("UnprocessableEntityError", "APIStatusError", &[]),
    class("RateLimitError", "APIStatusError", &[]),
    class("InternalServerError", "APIStatusError", &[]),
];

/// The class called `name`.
pub fn error_class(name: &str) -> Option<&'static ErrorClass> {
    ERROR_CLASSES.iter().find(|class| class.name == name)
}

/// Every attribute an instance of `class` carries, its parents' first.
pub fn class_attributes(class: &ErrorClass) -> Vec<&'static str> {
    let mut attributes = class
        .parent
        .and_then(error_class)
        .map(class_attributes)
        .unwrap_or_default();
    attributes.extend_from_slice(class.attributes);
    attributes
}

/// The value of one attribute, typed so each binding converts it by one rule of its language.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue<'a> {
    Text(Cow<'a, str>),
    Integer(u64),
    Bool(bool),
    /// A length of time: seconds (a float) in Python, milliseconds in Node.
    Duration(Duration),
    /// A JSON value (a status error's `body` when it parsed as JSON).
    Json(&'a Value),
    /// Bytes exactly as received.
    Bytes(&'a Bytes),
    Headers(&'a HeaderMap),
    /// Not known: `None` in Python, absent in Node.
    Missing,
}

/// One attribute of an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute<'a> {
    pub name: &'static str,
    pub value: AttributeValue<'a>,
}

fn attribute<'a>(name: &'static str, value: AttributeValue<'a>) -> Attribute<'a> {
    Attribute { name, value }
}

fn text_or_missing(text: Option<&str>) -> AttributeValue<'_> {
    text.map_or(AttributeValue::Missing, |text| {
        AttributeValue::Text(Cow::Borrowed(text))
    })
}

fn call_attributes(call: &CallSite) -> [Attribute<'_>; 5] {
    [
        attribute(
            "method",
            AttributeValue::Text(Cow::Borrowed(call.method.as_str())),
        ),
        attribute(
            "integration_type",
            AttributeValue::Text(Cow::Borrowed(&call.integration_type)),
        ),
        attribute("path", AttributeValue::Text(Cow::Borrowed(&call.path))),
        attribute("attempts", AttributeValue::Integer(call.attempts() as u64)),
        attribute(
            "page",
            call.page.map_or(AttributeValue::Missing, |page| {
                AttributeValue::Integer(page.into())
            }),
        ),
    ]
}

impl Error {
    /// The class the packages raise for this error, from [`ERROR_CLASSES`].
    pub fn class(&self) -> &'static ErrorClass {
        error_class(self.class_name()).expect("every class name is in ERROR_CLASSES")
    }

    /// The attributes of this error's class, in [`class_attributes`] order, with their values.
    pub fn attributes(&self) -> Vec<Attribute<'_>> {
        let status = |status: http::StatusCode| AttributeValue::Integer(status.as_u16().into());
        match self {
            Error::Config(error) => vec![attribute(
                "setting",
                AttributeValue::Text(Cow::Borrowed(&error.setting)),
            )],
            Error::InvalidRequest(error) => vec![attribute(
                "argument",
                AttributeValue::Text(Cow::Borrowed(&error.argument)),
            )],
            Error::Connection(error) => call_attributes(&error.call).to_vec(),
            Error::Pagination(error) => call_attributes(&error.call).to_vec(),
            Error::Timeout(error) => {
                let mut attributes = call_attributes(&error.call).to_vec();
                attributes.push(attribute("timeout", AttributeValue::Duration(error.after)));
                attributes
            }
            Error::Decode(error) => {
                let mut attributes = call_attributes(&error.call).to_vec();
                attributes.push(attribute("status", status(error.status)));
                attributes
            }
            Error::Status(error) => {
                // The body as the browser SDK gives it: parsed JSON, else text, else nothing.
                let body = match &error.body_json {
                    Some(json) => AttributeValue::Json(json),
                    None if error.body.is_empty() => AttributeValue::Missing,
                    None => AttributeValue::Text(String::from_utf8_lossy(&error.body)),
                };
                let mut attributes = call_attributes(&error.call).to_vec();
                attributes.extend([
                    attribute("status", status(error.status)),
                    attribute("code", text_or_missing(error.code.as_deref())),
                    attribute(
                        "message",
                        AttributeValue::Text(Cow::Borrowed(&error.message)),
                    ),
                    attribute("body", body),
                    attribute("content", AttributeValue::Bytes(&error.body)),
                    attribute("headers", AttributeValue::Headers(&error.headers)),
                    attribute("request_id", text_or_missing(error.request_id.as_deref())),
                    attribute(
                        "retry_after",
                        error
                            .retry_after
                            .map_or(AttributeValue::Missing, AttributeValue::Duration),
                    ),
                    attribute(
                        "is_integration_error",
                        AttributeValue::Bool(error.is_integration_error),
                    ),
                    attribute(
                        "integration_status",
                        error
                            .integration_status()
                            .map_or(AttributeValue::Missing, |status| {
                                AttributeValue::Integer(status.into())
                            }),
                    ),
                    attribute(
                        "integration_response",
                        error
                            .integration_response()
                            .map_or(AttributeValue::Missing, AttributeValue::Json),
                    ),
                ]);
                attributes
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{
        ConfigError, ConnectionError, DecodeError, InvalidRequestError, StatusError, TimeoutError,
        TimeoutPhase,
    };
    use http::{Method, StatusCode};

    fn call() -> CallSite {
        CallSite::new(Method::GET, "slack", "/x")
    }

    fn status_error(status: u16) -> Error {
        Error::Status(Box::new(StatusError::from_response(
            call(),
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            Bytes::from_static(b"{\"message\":\"no\"}"),
            &crate::Secret::new(String::new()),
        )))
    }

    fn one_of_each_class() -> Vec<Error> {
        let mut errors = vec![
            ConfigError::new("project_id", "is missing").into(),
            InvalidRequestError::new("path", "is empty").into(),
            Error::Timeout(Box::new(TimeoutError {
                call: call(),
                phase: TimeoutPhase::Response,
                after: Duration::from_secs(1),
            })),
            Error::Decode(Box::new(DecodeError {
                call: call(),
                status: StatusCode::OK,
                reason: "cut short".into(),
                source: None,
            })),
        ];
        errors.push(Error::Connection(Box::new(ConnectionError {
            call: call(),
            origin: "http://127.0.0.1:9".into(),
            while_connecting: true,
            source: "connection refused".into(),
        })));
        errors.push(Error::Pagination(Box::new(crate::error::PaginationError {
            call: call(),
            reason: "repeated a cursor".into(),
        })));
        errors.extend([400, 401, 403, 404, 409, 422, 429, 500, 418].map(status_error));
        errors
    }

    #[test]
    fn every_error_carries_exactly_its_class_attributes() {
        for error in one_of_each_class() {
            let names: Vec<_> = error.attributes().iter().map(|a| a.name).collect();
            assert_eq!(
                names,
                class_attributes(error.class()),
                "{}",
                error.class_name()
            );
        }
    }

    #[test]
    fn the_table_lists_parents_first_and_every_raised_class() {
        for (index, class) in ERROR_CLASSES.iter().enumerate() {
            if let Some(parent) = class.parent {
                let parent_index = ERROR_CLASSES.iter().position(|c| c.name == parent);
                assert!(parent_index.is_some_and(|at| at < index), "{}", class.name);
            }
        }
        // Every class but the two bases is what some error raises.
        let raised: std::collections::BTreeSet<_> =
            one_of_each_class().iter().map(Error::class_name).collect();
        let concrete: std::collections::BTreeSet<_> = ERROR_CLASSES
            .iter()
            .map(|class| class.name)
            .filter(|name| !["ParagonError", "_CallError"].contains(name))
            .collect();
        assert_eq!(raised, concrete);
    }
}
