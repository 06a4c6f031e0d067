//! Walking an API's pages through the proxy ([`Client::paginate`]): the ways APIs say where the
//! next page is, the presets for common APIs, and the checks that keep a walk on its integration
//! and finite. Each page is one ordinary call (retries, timeouts and the proxy URL rules apply to
//! every page); the language packages only drive [`Pages::next_page`] from their iterators.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use http::HeaderMap;
use serde_json::Value;
use url::Url;

use crate::client::{Client, ResponseMeta};
use crate::error::{CallSite, Error, InvalidRequestError, PaginationError, Result};
use crate::request::{Body, RequestOptions};
use crate::response::Response;
use crate::trace::{SpanStart, SpanValue};

/// Where a value is in a JSON answer: keys joined by dots (`response_metadata.next_cursor`),
/// list indexes as numbers (`data.0.id`), `.` for the whole answer. A key that itself holds a dot
/// (`@odata.nextLink`) is found too: the longest key present wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    /// `text` as a path, or why it is not one (`argument` names what gave it).
    pub fn new(argument: &'static str, text: &str) -> Result<FieldPath, InvalidRequestError> {
        if text.is_empty() || (text != "." && (text.starts_with('.') || text.ends_with('.'))) {
            return Err(InvalidRequestError::new(
                argument,
                format!(
                    "{text:?} is not a field path: use keys joined by dots (\"data.items\"), or \".\" for the whole answer"
                ),
            ));
        }
        Ok(FieldPath(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value at this path in `value`, if there is one.
    pub fn find<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        if self.0 == "." {
            return Some(value);
        }
        find_in(value, &self.0)
    }

    fn take(&self, value: &mut Value) -> Option<Value> {
        if self.0 == "." {
            return Some(value.take());
        }
        take_in(value, &self.0)
    }
}

fn find_in<'a>(value: &'a Value, rest: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => {
            if let Some(found) = map.get(rest) {
                return Some(found);
            }
            rest.match_indices('.').rev().find_map(|(at, _)| {
                let inner = map.get(&rest[..at])?;
                find_in(inner, &rest[at + 1..])
            })
        }
        Value::Array(items) => {
            let (index, after) = rest.split_once('.').unwrap_or((rest, ""));
            let item = items.get(index.parse::<usize>().ok()?)?;
            if after.is_empty() {
                Some(item)
            } else {
                find_in(item, after)
            }
        }
        _ => None,
    }
}

fn take_in(value: &mut Value, rest: &str) -> Option<Value> {
    // Found first, then taken, so the borrow checker sees one mutable path.
    let key = match value {
        Value::Object(map) if map.contains_key(rest) => (rest.to_owned(), None),
        Value::Object(map) => {
            let at = rest.match_indices('.').rev().map(|(at, _)| at).find(|at| {
                map.get(&rest[..*at])
                    .is_some_and(|inner| find_in(inner, &rest[at + 1..]).is_some())
            })?;
            (rest[..at].to_owned(), Some(&rest[at + 1..]))
        }
        _ => return find_in(value, rest).cloned(),
    };
    let Value::Object(map) = value else {
        return None;
    };
    match key {
        (key, None) => map.get_mut(&key).map(Value::take),
        (key, Some(after)) => take_in(map.get_mut(&key)?, after),
    }
}

/// Where a cursor goes back to the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorPlace {
    /// A query parameter.
    Query(String),
    /// A top-level field of the JSON body.
    Body(String),
    /// The body for a call that sends a JSON body (Notion's POST queries), else the query.
    BodyOrQuery(String),
}

/// How an API says where its next page is.
#[derive(Debug, Clone, PartialEq)]
pub enum Pagination {
    /// The answer holds the next page's cursor at `cursor`; it goes back as `send`. The walk ends
    /// when the cursor is missing, null or empty, or `more` (e.g. `has_more`) is false.
    Cursor {
        cursor: FieldPath,
        send: CursorPlace,
        more: Option<FieldPath>,
    },
    /// The next page's URL: an RFC 8288 `Link: <...>; rel="next"` header, or the body's `field`.
    /// A relative link stays on the integration; a full URL must be on the first call's own
    /// origin, on the integration's proxy, or on one of `origins` (`https://api.github.com`,
    /// `https://*.myshopify.com`).
    Link {
        field: Option<FieldPath>,
        origins: Vec<String>,
    },
    /// `param` counts items from `start` (or pages, with `pages`), `limit` (when named) asks for
    /// `size` per page. The walk ends on an empty or short page, or once `total` items are read.
    Offset {
        param: String,
        limit: Option<String>,
        size: u64,
        start: u64,
        total: Option<FieldPath>,
        pages: bool,
    },
    /// The caller's own function says where each next page is ([`Pages::set_next`]).
    Custom,
}

/// The presets' names, in the order the docs list them.
pub const PAGINATION_PRESETS: &[&str] = &[
    "slack",
    "google",
    "hubspot",
    "notion",
    "github",
    "shopify",
    "salesforce",
    "graph",
];

fn path(text: &str) -> FieldPath {
    FieldPath(text.to_owned())
}

fn cursor(at: &str, send: CursorPlace, more: Option<&str>) -> Pagination {
    Pagination::Cursor {
        cursor: path(at),
        send,
        more: more.map(path),
    }
}

fn link(field: Option<&str>, origins: &[&str]) -> Pagination {
    Pagination::Link {
        field: field.map(path),
        origins: origins.iter().map(|origin| (*origin).to_owned()).collect(),
    }
}

impl Pagination {
    /// The preset called `name` (see [`PAGINATION_PRESETS`]).
    pub fn preset(name: &str) -> Option<Pagination> {
        let query = |name: &str| CursorPlace::Query(name.to_owned());
        Some(match name {
            "slack" => cursor("response_metadata.next_cursor", query("cursor"), None),
            "google" => cursor("nextPageToken", query("pageToken"), None),
            "hubspot" => cursor("paging.next.after", query("after"), None),
            "notion" => cursor(
                "next_cursor",
                CursorPlace::BodyOrQuery("start_cursor".to_owned()),
                Some("has_more"),
            ),
            "github" => link(None, &["https://api.github.com"]),
            "shopify" => link(None, &["https://*.myshopify.com"]),
            "salesforce" => link(Some("nextRecordsUrl"), &[]),
            "graph" => link(Some("@odata.nextLink"), &["https://graph.microsoft.com"]),
            _ => return None,
        })
    }

    /// The preset for an integration type (`slack`, `googledrive`, `outlook`...), by name.
    pub fn preset_for(integration_type: &str) -> Option<(&'static str, Pagination)> {
        let lower = integration_type.to_ascii_lowercase();
        let name = match lower.as_str() {
            "slack" | "hubspot" | "notion" | "github" | "shopify" | "salesforce" => {
                PAGINATION_PRESETS.iter().find(|name| **name == lower)?
            }
            "gmail" | "youtube" => "google",
            "outlook" | "sharepoint" | "onedrive" => "graph",
            _ if lower.starts_with("google") => "google",
            _ if lower.starts_with("microsoft") => "graph",
            _ => return None,
        };
        Some((name, Pagination::preset(name)?))
    }

    /// A strategy described as JSON, as the packages pass it: `{"type": "cursor", "cursor":
    /// "next_cursor", "param": "cursor"}` (or `"field"` for the body, `"more": "has_more"`),
    /// `{"type": "link"}` (`"field"`, `"origins"`), `{"type": "offset", "size": 100}` (`"param"`,
    /// `"limit"`, `"start"`, `"total"`, `"unit": "pages"`), or a preset's name as a string.
    pub fn from_json(description: &Value) -> Result<Pagination, InvalidRequestError> {
        let refuse = |reason: String| InvalidRequestError::new("pagination", reason);
        let object = match description {
            Value::String(name) => {
                return Pagination::preset(name).ok_or_else(|| {
                    refuse(format!(
                        "{name:?} is not a preset; the presets are {}",
                        PAGINATION_PRESETS.join(", ")
                    ))
                });
            }
            Value::Object(object) => object,
            _ => {
                return Err(refuse(
                    "must be a preset's name, a description ({\"type\": \"cursor\", ...}) or a function"
                        .to_owned(),
                ));
            }
        };
        let text = |key: &str| -> Result<Option<String>, InvalidRequestError> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) if !text.is_empty() => Ok(Some(text.clone())),
                Some(other) => Err(refuse(format!(
                    "{key} must be a non-empty string, not {other}"
                ))),
            }
        };
        let field_path = |key: &str| -> Result<Option<FieldPath>, InvalidRequestError> {
            text(key)?
                .map(|text| {
                    FieldPath::new("pagination", &text)
                        .map_err(|error| refuse(format!("{key}: {}", error.reason)))
                })
                .transpose()
        };
        let number = |key: &str, least: u64| -> Result<Option<u64>, InvalidRequestError> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(number)) => number
                    .as_u64()
                    .filter(|number| *number >= least)
                    .map(Some)
                    .ok_or_else(|| {
                        refuse(format!(
                            "{key} must be a whole number from {least}, not {number}"
                        ))
                    }),
                Some(other) => Err(refuse(format!("{key} must be a whole number, not {other}"))),
            }
        };
        let kind = text("type")?.ok_or_else(|| {
            refuse("needs a \"type\": \"cursor\", \"link\" or \"offset\"".to_owned())
        })?;
        let known: &[&str] = match kind.as_str() {
            "cursor" => &["type", "cursor", "param", "field", "more"],
            "link" => &["type", "field", "origins"],
            "offset" => &["type", "param", "limit", "size", "start", "total", "unit"],
            other => {
                return Err(refuse(format!(
                    "type {other:?} is not one of \"cursor\", \"link\", \"offset\""
                )));
            }
        };
        if let Some(unknown) = object.keys().find(|key| !known.contains(&key.as_str())) {
            return Err(refuse(format!(
                "{unknown:?} is not an option of {kind} pagination (its options: {})",
                known[1..].join(", ")
            )));
        }
        Ok(match kind.as_str() {
            "cursor" => {
                let send = match (text("param")?, text("field")?) {
                    (Some(param), None) => CursorPlace::Query(param),
                    (None, Some(field)) => CursorPlace::Body(field),
                    _ => {
                        return Err(refuse(
                            "cursor pagination needs one of \"param\" (the query parameter that takes the cursor) and \"field\" (the body field)"
                                .to_owned(),
                        ));
                    }
                };
                Pagination::Cursor {
                    cursor: field_path("cursor")?.ok_or_else(|| {
                        refuse("cursor pagination needs \"cursor\": where the answer holds the next cursor".to_owned())
                    })?,
                    send,
                    more: field_path("more")?,
                }
            }
            "link" => {
                let origins = match object.get("origins") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(origins)) => origins
                        .iter()
                        .map(|origin| match origin {
                            Value::String(origin) => check_origin(origin).map_err(refuse),
                            other => Err(refuse(format!("origins must hold strings, not {other}"))),
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => {
                        return Err(refuse(format!("origins must be a list, not {other}")));
                    }
                };
                Pagination::Link {
                    field: field_path("field")?,
                    origins,
                }
            }
            _ => Pagination::Offset {
                param: text("param")?.unwrap_or_else(|| "offset".to_owned()),
                limit: match object.get("limit") {
                    // `null` asks for no page size parameter at all.
                    Some(Value::Null) => None,
                    _ => Some(text("limit")?.unwrap_or_else(|| "limit".to_owned())),
                },
                size: number("size", 1)?.ok_or_else(|| {
                    refuse(
                        "offset pagination needs \"size\": the items a full page holds".to_owned(),
                    )
                })?,
                start: number("start", 0)?.unwrap_or(0),
                total: field_path("total")?,
                pages: match text("unit")?.as_deref() {
                    None | Some("items") => false,
                    Some("pages") => true,
                    Some(other) => {
                        return Err(refuse(format!(
                            "unit must be \"items\" or \"pages\", not {other:?}"
                        )));
                    }
                },
            },
        })
    }
}

/// `https://host[:port]`, or `https://*.suffix` for any subdomain.
fn check_origin(origin: &str) -> std::result::Result<String, String> {
    let bad = || {
        format!("{origin:?} is not an origin (https://api.example.com, or https://*.example.com)")
    };
    let (scheme, host) = origin.split_once("://").ok_or_else(bad)?;
    let host_ok = !host.is_empty()
        && !host.contains(['/', '?', '#', '@'])
        && Url::parse(&format!("{scheme}://{}", host.trim_start_matches("*."))).is_ok();
    if !matches!(scheme, "https" | "http") || !host_ok {
        return Err(bad());
    }
    Ok(origin.to_ascii_lowercase())
}

/// What a walk through pages is told besides the call itself.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// `None`: the preset for the integration ([`Pagination::preset_for`]).
    pub pagination: Option<Pagination>,
    /// Where each page holds its items; with it the walk counts items (`max_items`, offsets).
    pub items: Option<FieldPath>,
    pub max_pages: Option<u64>,
    pub max_items: Option<u64>,
}

/// A walk's own arguments as a language hands them over (`pagination`, `items`, `max_pages`,
/// `max_items`), checked here once for both packages.
#[derive(Debug, Default)]
pub struct PageArguments {
    pub pagination: Option<PaginationArgument>,
    pub items: Option<String>,
    pub max_pages: Option<f64>,
    pub max_items: Option<f64>,
}

/// `pagination` as given: a preset's name or a description as JSON, or a function of the
/// caller's (the package calls it; the core waits for [`Pages::set_next`]).
#[derive(Debug)]
pub enum PaginationArgument {
    Described(Value),
    Function,
}

impl PageArguments {
    pub fn into_options(self) -> Result<PageOptions, InvalidRequestError> {
        let limit = |argument: &'static str, value: Option<f64>| {
            value
                .map(|value| crate::arguments::whole_number(value, 1, u64::MAX >> 11))
                .transpose()
                .map_err(|reason| InvalidRequestError::new(argument, reason))
        };
        Ok(PageOptions {
            pagination: match self.pagination {
                None => None,
                Some(PaginationArgument::Function) => Some(Pagination::Custom),
                Some(PaginationArgument::Described(value)) => Some(Pagination::from_json(&value)?),
            },
            items: self
                .items
                .map(|items| FieldPath::new("items", &items))
                .transpose()?,
            max_pages: limit("max_pages", self.max_pages)?,
            max_items: limit("max_items", self.max_items)?,
        })
    }
}

/// What a custom pagination function returned, as JSON: `null` (no next page) or an object
/// with `path`, `query` and `body`, each optional.
pub fn next_page_from_json(value: Value) -> Result<Option<NextPage>, InvalidRequestError> {
    let refuse = |reason: String| InvalidRequestError::new("pagination", reason);
    let object = match value {
        Value::Null => return Ok(None),
        Value::Object(object) => object,
        other => {
            return Err(refuse(format!(
                "the function must return None/null (no more pages) or an object with path, query and body, not {}",
                json_type(&other)
            )));
        }
    };
    let mut next = NextPage::default();
    for (key, value) in object {
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("path", Value::String(path)) => next.path = Some(path),
            ("query", Value::Object(query)) => {
                for (name, value) in query {
                    let values = match value {
                        Value::Array(values) => values,
                        value => vec![value],
                    };
                    for value in values {
                        let text = match value {
                            Value::String(text) => text,
                            Value::Number(number) => number.to_string(),
                            Value::Bool(flag) => flag.to_string(),
                            other => {
                                return Err(refuse(format!(
                                    "the function's query[{name:?}] is {}, not a string or number",
                                    json_type(&other)
                                )));
                            }
                        };
                        next.query.push((name.clone(), text));
                    }
                }
            }
            ("body", body) => next.body = Some(body),
            (key, value) => {
                return Err(refuse(format!(
                    "the function returned {key:?} as {}; it may return path (a string), query (an object) and body",
                    json_type(&value)
                )));
            }
        }
    }
    if next == NextPage::default() {
        return Err(refuse(
            "the function returned an empty next page: return None/null to stop".to_owned(),
        ));
    }
    Ok(Some(next))
}

/// How a custom strategy's function describes the next page: a new path (or URL, checked as a
/// link is), query parameters that replace those of the same name, and a new JSON body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NextPage {
    pub path: Option<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// One page of a walk.
#[derive(Debug)]
pub struct Page {
    /// 1 for the first page.
    pub number: u32,
    /// The page decoded as [`Client::request`] decodes it. When the walk reads items and no
    /// function of the caller's needs the page, its items have been moved to `items`.
    pub data: Response,
    pub meta: ResponseMeta,
    /// The page's items, when the walk reads items.
    pub items: Option<Vec<Value>>,
}

enum Next {
    Fetch,
    /// A custom strategy waits for [`Pages::set_next`].
    Caller,
    /// The last page was read; this error, if any, is the one the next step gives.
    Done(Option<Box<PaginationError>>),
}

/// A walk through an API's pages, one call per [`Pages::next_page`]. Dropping it (or the future
/// of `next_page`) stops the walk; nothing more is sent.
pub struct Pages {
    client: Client,
    integration: String,
    path: String,
    options: RequestOptions,
    pagination: Pagination,
    items: Option<FieldPath>,
    max_pages: Option<u64>,
    max_items: Option<u64>,
    /// The last page fetched (0 before the first).
    page: u32,
    items_so_far: u64,
    offset: u64,
    /// The first call's origin, when its path was a full URL: links may stay on it.
    first_origin: Option<String>,
    /// Each cursor, link or next request seen, and the page that gave it.
    seen: HashMap<String, u32>,
    /// A fingerprint of the last page's items (an offset the API ignores repeats its page).
    last_items: Option<u64>,
    next: Next,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("integration", &self.integration)
            .field("page", &self.page)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Walks the pages of `path` as `pagination` (or the integration's preset) describes: each
    /// [`Pages::next_page`] is one call made as [`Client::request`] makes it. Every argument is
    /// checked here, before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo(paragon: paragon_connect::Client) -> paragon_connect::Result<()> {
    /// use paragon_connect::{FieldPath, PageOptions, RequestOptions};
    /// let options = PageOptions {
    ///     items: Some(FieldPath::new("items", "members")?),
    ///     ..PageOptions::default()
    /// };
    /// let mut pages = paragon.paginate("slack", "/users.list", RequestOptions::new(), options)?;
    /// while let Some(page) = pages.next_page().await? {
    ///     println!("{} members", page.items.map_or(0, |items| items.len()));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn paginate(
        &self,
        integration_type: &str,
        path: &str,
        mut options: RequestOptions,
        page_options: PageOptions,
    ) -> Result<Pages> {
        let refuse = |argument: &'static str, reason: &str| -> Error {
            InvalidRequestError::new(argument, reason.to_owned()).into()
        };
        if options.raw {
            return Err(refuse(
                "raw",
                "pages are read as JSON to find the next one; a raw call cannot be paginated",
            ));
        }
        if matches!(options.body, Some(Body::Stream(_))) {
            return Err(refuse(
                "body",
                "a stream can be sent once; each page sends the body again",
            ));
        }
        options.json_as_text = false;
        let pagination = match page_options.pagination {
            Some(pagination) => pagination,
            None => match Pagination::preset_for(integration_type) {
                Some((_, preset)) => preset,
                None => {
                    crate::proxy_url::check_integration_type(integration_type)?;
                    return Err(InvalidRequestError::new(
                        "pagination",
                        format!(
                            "{integration_type:?} has no preset: describe its pagination (cursor, link or offset), name a preset ({}) or give a function",
                            PAGINATION_PRESETS.join(", ")
                        ),
                    )
                    .into());
                }
            },
        };
        if page_options.max_items.is_some() && page_options.items.is_none() {
            return Err(refuse(
                "max_items",
                "counts items: say where a page holds them with items",
            ));
        }
        if let Pagination::Offset {
            param,
            limit,
            size,
            start,
            ..
        } = &pagination
        {
            if page_options.items.is_none() {
                return Err(refuse(
                    "items",
                    "offset pagination counts each page's items: say where a page holds them (\".\" for a page that is a list)",
                ));
            }
            set_query(&mut options.query, param, start.to_string());
            if let Some(limit) = limit {
                set_query(&mut options.query, limit, size.to_string());
            }
        }
        if let Pagination::Cursor { send, .. } = &pagination {
            let body_field = match send {
                CursorPlace::Body(field) => Some(field),
                CursorPlace::BodyOrQuery(field) if options.body.is_some() => Some(field),
                _ => None,
            };
            if body_field.is_some()
                && !matches!(options.body, None | Some(Body::Json(Value::Object(_))))
            {
                return Err(refuse(
                    "body",
                    "the cursor goes back in the body: give the body as a JSON object",
                ));
            }
        }
        // Paragon's proxy passes the API's own headers only on a raw answer, so a walk that reads
        // `Link` headers asks for raw answers and decodes each one itself.
        let link_header = matches!(pagination, Pagination::Link { field: None, .. });
        options.raw = link_header;
        // Page 1 is checked now, so a bad argument is refused before anything is sent.
        self.prepare(integration_type, path, options.clone())?;
        let first_origin = Url::parse(path)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .map(|url| url.origin().ascii_serialization());
        Ok(Pages {
            client: self.clone(),
            integration: integration_type.to_owned(),
            path: path.to_owned(),
            offset: match &pagination {
                Pagination::Offset { start, .. } => *start,
                _ => 0,
            },
            options,
            pagination,
            items: page_options.items,
            max_pages: page_options.max_pages,
            max_items: page_options.max_items,
            page: 0,
            items_so_far: 0,
            first_origin,
            seen: HashMap::new(),
            last_items: None,
            next: Next::Fetch,
        })
    }
}

impl Pages {
    /// Whether the caller's function must say where the next page is ([`Pages::set_next`])
    /// after each page: the walk's strategy is [`Pagination::Custom`].
    pub fn is_custom(&self) -> bool {
        self.pagination == Pagination::Custom
    }

    /// The number of the last page fetched (0 before the first).
    pub fn page(&self) -> u32 {
        self.page
    }

    /// The next page, or `None` once the walk is over. A page's error carries its number
    /// (`error.call().page`); a walk that cannot go on (a repeated cursor, a link outside the
    /// integration) gives a [`PaginationError`] after the last page it could read.
    pub async fn next_page(&mut self) -> Result<Option<Page>> {
        self.next_page_traced(Vec::new()).await
    }

    /// The client span of the call the next [`Pages::next_page`] makes (as
    /// [`Client::span_start`] gives a call's, with `paragon.page`), or `None` when it makes none:
    /// the walk is over, or waits for [`Pages::set_next`].
    pub fn span_start(&self) -> Option<SpanStart> {
        if !matches!(self.next, Next::Fetch) || self.reached_max_pages() {
            return None;
        }
        let mut start = self
            .client
            .span_start(&self.integration, &self.path, &self.options);
        start
            .attributes
            .push(("paragon.page", SpanValue::Int(i64::from(self.page) + 1)));
        Some(start)
    }

    /// [`Pages::next_page`], its call sending `trace_headers` (its span's propagation headers).
    pub async fn next_page_traced(
        &mut self,
        trace_headers: Vec<(String, String)>,
    ) -> Result<Option<Page>> {
        match std::mem::replace(&mut self.next, Next::Done(None)) {
            Next::Fetch => {}
            Next::Done(None) => return Ok(None),
            Next::Done(Some(error)) => return Err(Error::Pagination(error)),
            Next::Caller => {
                return Err(self.stopped(
                    self.page,
                    "the pagination function was not asked for the next page".to_owned(),
                ));
            }
        }
        if self.reached_max_pages() {
            return Ok(None);
        }
        self.page += 1;
        let number = self.page;
        let mut options = self.options.clone();
        options.trace_headers = trace_headers;
        let answer = self
            .client
            .request_with_meta(&self.integration, &self.path, options)
            .await;
        let (mut data, meta) = match answer {
            Ok(answer) => answer,
            Err(error) => return Err(self.page_error(error)),
        };
        if let Response::Raw(raw) = &data {
            let content_type = raw
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok());
            data = crate::response::decode_api(content_type, &raw.body);
        }
        let count = self.count_items(number, &data)?;
        // Where the next page is, read before the items are moved out of this one.
        let value = match &data {
            Response::Json(value) => value,
            _ => &Value::Null,
        };
        self.next = self.advance(value, &meta.headers, count);
        let custom = self.is_custom();
        let mut items = self.items.as_ref().map(|at| {
            let found = match &mut data {
                Response::Json(value) if custom => at.find(value).cloned(),
                Response::Json(value) => at.take(value),
                _ => None,
            };
            match found {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            }
        });
        if let (Some(list), Some(most)) = (&mut items, self.max_items) {
            let left = most.saturating_sub(self.items_so_far);
            if list.len() as u64 >= left {
                list.truncate(left as usize);
                self.next = Next::Done(None);
            }
        }
        self.items_so_far += items.as_ref().map_or(0, |list| list.len() as u64);
        Ok(Some(Page {
            number,
            data,
            meta,
            items,
        }))
    }

    fn reached_max_pages(&self) -> bool {
        self.max_pages
            .is_some_and(|most| u64::from(self.page) >= most)
    }

    /// How many items page `number` holds, when the walk reads items; an answer without them
    /// stops the walk with the keys it does have.
    fn count_items(&mut self, number: u32, data: &Response) -> Result<Option<usize>> {
        let Some(at) = &self.items else {
            return Ok(None);
        };
        let Response::Json(value) = data else {
            let reason = format!("the answer is not JSON, so it has no {:?}", at.as_str());
            return Err(self.stopped(number, reason));
        };
        let reason = match at.find(value) {
            Some(Value::Array(list)) => return Ok(Some(list.len())),
            Some(Value::Null) => return Ok(Some(0)),
            Some(other) => format!("{:?} is {}, not a list", at.as_str(), json_type(other)),
            None => {
                let keys = match value {
                    Value::Object(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
                    other => json_type(other).to_owned(),
                };
                format!("the answer has no {:?} (it has: {keys})", at.as_str())
            }
        };
        Err(self.stopped(number, reason))
    }

    /// For a custom strategy: where the next page is (`None`: the walk is over). The path is
    /// checked as a link is; the same next page twice stops the walk.
    pub fn set_next(&mut self, next: Option<NextPage>) {
        if !matches!(self.next, Next::Caller) {
            return;
        }
        let Some(next) = next else {
            self.next = Next::Done(None);
            return;
        };
        let fingerprint = format!(
            "{:?}|{:?}|{}",
            next.path,
            next.query,
            next.body.as_ref().map(Value::to_string).unwrap_or_default()
        );
        if let Err(error) = self.remember(fingerprint, "the same next page") {
            self.next = Next::Done(Some(error));
            return;
        }
        if let Some(path) = next.path {
            match self.next_target(&path) {
                Ok(target) => {
                    self.path = target;
                    self.options.query.clear();
                }
                Err(reason) => {
                    self.next = Next::Done(Some(self.stop_reason(reason)));
                    return;
                }
            }
        }
        // Each name given replaces that parameter; a name given twice is sent twice.
        let mut given = std::collections::HashSet::new();
        for (name, value) in next.query {
            if given.insert(name.clone()) {
                set_query(&mut self.options.query, &name, value);
            } else if let Some(last) = self
                .options
                .query
                .iter()
                .rposition(|(existing, _)| *existing == name)
            {
                self.options.query.insert(last + 1, (name, value));
            }
        }
        if let Some(body) = next.body {
            self.options.body = Some(Body::Json(body));
        }
        self.next = Next::Fetch;
    }

    /// What follows the page just read (`value`, its JSON or null). `count` is how many items it
    /// holds, when the walk reads items.
    fn advance(&mut self, value: &Value, headers: &HeaderMap, count: Option<usize>) -> Next {
        match self.pagination.clone() {
            Pagination::Custom => Next::Caller,
            Pagination::Cursor { cursor, send, more } => {
                if more.as_ref().and_then(|more| more.find(value)) == Some(&Value::Bool(false)) {
                    return Next::Done(None);
                }
                let next = match cursor.find(value) {
                    Some(Value::String(text)) if !text.is_empty() => text.clone(),
                    Some(Value::Number(number)) => number.to_string(),
                    _ => return Next::Done(None),
                };
                if let Err(error) = self.remember(next.clone(), &format!("the cursor {next:?}")) {
                    return Next::Done(Some(error));
                }
                let in_body = match &send {
                    CursorPlace::Query(_) => false,
                    CursorPlace::Body(_) => true,
                    CursorPlace::BodyOrQuery(_) => self.options.body.is_some() || self.sends_body(),
                };
                let (CursorPlace::Query(name)
                | CursorPlace::Body(name)
                | CursorPlace::BodyOrQuery(name)) = &send;
                if in_body {
                    let body = self
                        .options
                        .body
                        .get_or_insert(Body::Json(Value::Object(Default::default())));
                    if let Body::Json(Value::Object(object)) = body {
                        object.insert(name.clone(), Value::String(next));
                    }
                } else {
                    set_query(&mut self.options.query, name, next);
                }
                Next::Fetch
            }
            Pagination::Link { field, .. } => {
                let next = match &field {
                    Some(field) => match field.find(value) {
                        Some(Value::String(text)) if !text.is_empty() => text.clone(),
                        _ => return Next::Done(None),
                    },
                    None => match next_link(headers) {
                        Some(link) => link,
                        None => return Next::Done(None),
                    },
                };
                let target = match self.next_target(&next) {
                    Ok(target) => target,
                    Err(reason) => return Next::Done(Some(self.stop_reason(reason))),
                };
                if let Err(error) = self.remember(target.clone(), "the link to the same page") {
                    return Next::Done(Some(error));
                }
                self.path = target;
                // The link carries the next page's whole query.
                self.options.query.clear();
                Next::Fetch
            }
            Pagination::Offset {
                param,
                size,
                total,
                pages,
                ..
            } => {
                // `paginate` refuses an offset walk without items.
                let count = count.unwrap_or(0);
                let list = self
                    .items
                    .as_ref()
                    .and_then(|at| at.find(value))
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                let fingerprint = fingerprint(list);
                let repeated = self.last_items == Some(fingerprint) && count > 0;
                self.last_items = Some(fingerprint);
                if repeated {
                    let reason = format!(
                        "page {} answered the same items as page {} (does the API take the {param:?} parameter?); stopping rather than looping",
                        self.page,
                        self.page - 1
                    );
                    return Next::Done(Some(self.stop_reason(reason)));
                }
                let read = self.offset + if pages { 1 } else { count as u64 };
                let total = total
                    .as_ref()
                    .and_then(|total| total.find(value))
                    .and_then(Value::as_u64);
                let items_read = if pages {
                    self.items_so_far + count as u64
                } else {
                    read
                };
                if count == 0
                    || (count as u64) < size
                    || total.is_some_and(|total| items_read >= total)
                {
                    return Next::Done(None);
                }
                self.offset = read;
                set_query(&mut self.options.query, &param, read.to_string());
                Next::Fetch
            }
        }
    }

    /// Whether the call sends a JSON body (a POST, PUT or PATCH): where Notion takes its cursor.
    fn sends_body(&self) -> bool {
        matches!(
            self.options
                .method
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref(),
            Some("POST" | "PUT" | "PATCH")
        )
    }

    /// Notes that the page just read gave `key`; a key seen before stops the walk.
    fn remember(
        &mut self,
        key: String,
        what: &str,
    ) -> std::result::Result<(), Box<PaginationError>> {
        if let Some(earlier) = self.seen.get(&key) {
            let reason = format!(
                "page {} gave {what}, as page {earlier} did: the walk would loop, so it stops",
                self.page
            );
            return Err(self.stop_reason(reason));
        }
        self.seen.insert(key, self.page);
        Ok(())
    }

    /// Where a next link leads, as the path of the next call: relative links resolved against
    /// the current page, full URLs kept when they stay on the integration.
    fn next_target(&self, next: &str) -> std::result::Result<String, String> {
        if let Ok(url) = Url::parse(next) {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "its next page is a {:?} URL, not HTTP",
                    url.scheme()
                ));
            }
            let settings_prefix = format!(
                "{}/projects/{}/sdk/proxy/{}",
                self.client.proxy_base_url().as_str().trim_end_matches('/'),
                self.client.project_id(),
                self.integration
            );
            if let Some(rest) = next.strip_prefix(&settings_prefix)
                && (rest.starts_with('/') || rest.starts_with('?'))
            {
                return Ok(rest.to_owned());
            }
            let origin = url.origin().ascii_serialization();
            if self.may_follow(&url) {
                return Ok(next.to_owned());
            }
            let mut allowed: Vec<String> = self.first_origin.iter().cloned().collect();
            if let Pagination::Link { origins, .. } = &self.pagination {
                allowed.extend(origins.iter().cloned());
            }
            let allowed = match allowed.is_empty() {
                true => "none but relative links".to_owned(),
                false => allowed.join(", "),
            };
            return Err(format!(
                "its next page is on {origin}, outside the integration (following it would send the call there with the user's connection); allowed: {allowed}. If the API does live there, add the origin to the pagination's origins"
            ));
        }
        if next.starts_with("//") {
            return Err("its next page is a scheme-relative URL (//host/...), which could leave the integration".to_owned());
        }
        let base = match Url::parse(&self.path) {
            Ok(url) => url,
            Err(_) => {
                let path = if self.path.starts_with('/') {
                    self.path.clone()
                } else {
                    format!("/{}", self.path)
                };
                Url::parse("http://upstream.invalid")
                    .and_then(|base| base.join(&path))
                    .map_err(|error| {
                        format!("its path {:?} cannot be resolved: {error}", self.path)
                    })?
            }
        };
        let joined = base.join(next).map_err(|error| {
            format!(
                "its next link {:?} (query left out) is not a URL: {error}",
                shown_link(next)
            )
        })?;
        if joined.origin() != base.origin() {
            return Err("its next link leaves the integration".to_owned());
        }
        if Url::parse(&self.path).is_ok() {
            return Ok(joined.to_string());
        }
        let mut target = joined.path().to_owned();
        if let Some(query) = joined.query() {
            target.push('?');
            target.push_str(query);
        }
        Ok(target)
    }

    /// Whether a full next URL is on the first call's origin or one the strategy allows.
    fn may_follow(&self, url: &Url) -> bool {
        let origin = url.origin().ascii_serialization();
        if self.first_origin.as_deref() == Some(origin.as_str()) {
            return true;
        }
        let Pagination::Link { origins, .. } = &self.pagination else {
            return false;
        };
        origins
            .iter()
            .any(|allowed| match allowed.split_once("://*.") {
                Some((scheme, suffix)) => {
                    url.scheme() == scheme
                        && url.port().is_none()
                        && url.host_str().is_some_and(|host| {
                            host.len() > suffix.len() + 1
                                && host.ends_with(suffix)
                                && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
                        })
                }
                None => *allowed == origin,
            })
    }

    fn call_site(&self, page: u32) -> CallSite {
        let method = self
            .options
            .method
            .as_deref()
            .and_then(|method| {
                http::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok()
            })
            .unwrap_or(http::Method::GET);
        let mut call = CallSite::new(method, &self.integration, &self.path);
        call.page = Some(page);
        call
    }

    fn stop_reason(&self, reason: String) -> Box<PaginationError> {
        Box::new(PaginationError {
            call: self.call_site(self.page),
            reason,
        })
    }

    fn stopped(&mut self, page: u32, reason: String) -> Error {
        self.next = Next::Done(None);
        Error::Pagination(Box::new(PaginationError {
            call: self.call_site(page),
            reason,
        }))
    }

    /// A page's call failed: its error says which page; a later page's path that cannot be
    /// called is the walk's problem, not the caller's argument.
    fn page_error(&mut self, mut error: Error) -> Error {
        self.next = Next::Done(None);
        let page = self.page;
        if let Error::InvalidRequest(invalid) = &error
            && page > 1
        {
            return self.stopped(page, format!("the next page cannot be called: {invalid}"));
        }
        if let Some(call) = error.call_mut() {
            call.page = Some(page);
        }
        error
    }
}

/// Sets the parameter `name` to `value` where it already is (the caller's order kept), else
/// after the others.
fn set_query(query: &mut Vec<(String, String)>, name: &str, value: String) {
    match query.iter().position(|(existing, _)| existing == name) {
        Some(at) => {
            query[at].1 = value;
            let mut index = 0;
            query.retain(|(existing, _)| {
                index += 1;
                index - 1 <= at || existing != name
            });
        }
        None => query.push((name.to_owned(), value)),
    }
}

fn fingerprint(items: &[Value]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for item in items {
        item.to_string().hash(&mut hasher);
    }
    hasher.finish()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The `rel="next"` target of RFC 8288 `Link` headers, if any.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| {
            let mut rest = value;
            loop {
                let start = rest.find('<')?;
                let end = start + rest[start..].find('>')?;
                let target = &rest[start + 1..end];
                let after = &rest[end + 1..];
                let params_end = after.find('<').unwrap_or(after.len());
                let params = &after[..params_end];
                let is_next = params.split(';').any(|param| {
                    let Some((key, value)) = param.split_once('=') else {
                        return false;
                    };
                    key.trim().eq_ignore_ascii_case("rel")
                        && value
                            .trim()
                            .trim_matches('"')
                            .split_ascii_whitespace()
                            .any(|rel| rel.eq_ignore_ascii_case("next"))
                });
                if is_next {
                    return Some(target.trim().to_owned());
                }
                rest = &after[params_end..];
            }
        })
}

/// A next link as an error shows it: without its query and fragment (an upstream may put its
/// own token there, as Facebook's Graph API puts its access_token) or its user information
/// (`user:password@`).
fn shown_link(next: &str) -> String {
    let link = next.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = link.split_once("://") else {
        return link.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_paths_find_nested_and_dotted_keys() {
        let answer = json!({"response_metadata": {"next_cursor": "c2"}, "@odata.nextLink": "u", "data": [{"id": 1}]});
        let find = |text: &str| {
            FieldPath::new("items", text)
                .unwrap()
                .find(&answer)
                .cloned()
        };
        assert_eq!(find("response_metadata.next_cursor"), Some(json!("c2")));
        assert_eq!(find("@odata.nextLink"), Some(json!("u")));
        assert_eq!(find("data.0.id"), Some(json!(1)));
        assert_eq!(find("data.1"), None);
        assert_eq!(find("."), Some(answer.clone()));
        assert!(FieldPath::new("items", "a.").is_err());
        assert!(FieldPath::new("items", "").is_err());
        let mut taken = json!({"a": {"b.c": [1, 2]}, "keep": true});
        assert_eq!(
            FieldPath::new("items", "a.b.c").unwrap().take(&mut taken),
            Some(json!([1, 2]))
        );
        assert_eq!(taken, json!({"a": {"b.c": null}, "keep": true}));
    }

    #[test]
    fn link_headers_give_the_next_target() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::LINK,
            "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        let mut none = HeaderMap::new();
        none.append(
            http::header::LINK,
            "<https://a/x>; rel=prev".parse().unwrap(),
        );
        assert_eq!(next_link(&none), None);
    }

    #[test]
    fn descriptions_are_checked() {
        let refused = |value: Value| Pagination::from_json(&value).unwrap_err().reason;
        assert!(refused(json!("slak")).contains("not a preset; the presets are slack, google"));
        assert!(
            refused(json!({"type": "cursor", "cursor": "next"})).contains("needs one of \"param\"")
        );
        assert!(
            refused(json!({"type": "cursor", "cursor": "n", "param": "c", "parm": 1}))
                .contains("\"parm\" is not an option")
        );
        assert!(refused(json!({"type": "offset"})).contains("needs \"size\""));
        assert!(
            refused(json!({"type": "link", "origins": ["api.github.com"]}))
                .contains("is not an origin")
        );
        assert_eq!(
            Pagination::from_json(&json!({"type": "offset", "size": 50, "limit": null})).unwrap(),
            Pagination::Offset {
                param: "offset".into(),
                limit: None,
                size: 50,
                start: 0,
                total: None,
                pages: false
            }
        );
        for name in PAGINATION_PRESETS {
            assert!(Pagination::preset(name).is_some(), "{name}");
        }
        assert_eq!(
            Pagination::preset_for("googleCalendar").unwrap().0,
            "google"
        );
        assert_eq!(Pagination::preset_for("outlook").unwrap().0, "graph");
        assert!(Pagination::preset_for("custom.tasklab").is_none());
    }
}
