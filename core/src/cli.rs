//! `paragon-connect`, the command line tool both packages install (`pip install`, `npx`): the
//! `gh api` of Paragon, for debugging and scripts. It reads the `PARAGON_*` variables as every
//! client does; the bindings only hand it the arguments and exit with the code it returns.
//!
//! ```text
//! paragon-connect request slack /chat.postMessage -X POST -d '{"channel":"C0","text":"hi"}'
//! paragon-connect request googledrive '/files/ID/?alt=media' --raw -o file.pdf --user u1
//! paragon-connect token --user u1
//! paragon-connect fake --port 8787 --routes routes.json
//! ```

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::auth::{SigningKey, TokenOptions, sign_user_token};
use crate::client::Client;
use crate::error::{ConfigError, Error};
use crate::request::RequestOptions;
use crate::response::Response;

/// Exit codes: the call succeeded, it failed (an API or connection error), the command was wrong.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

const USAGE: &str = "\
usage: paragon-connect request <integration> <path> [options]
       paragon-connect token --user <id> [--lifetime <seconds>]
       paragon-connect fake [--port <n>] [--routes <routes.json>] [--accept-any-token]
                            [--record <cassette.json> | --replay <cassette.json>]
       paragon-connect --help | --version

request options:
  -X, --method <verb>        the HTTP method (GET; POST when -d is given)
  -d, --data <json|@file|->  a JSON body, from the argument, a file or standard input
  -H, --header <name: value> a header (repeatable)
  -q, --query <name=value>   a query parameter (repeatable)
      --user <id>            act for this user (tokens signed with PARAGON_SIGNING_KEY)
      --credential <id>      which of the user's connected accounts (X-Paragon-Credential)
      --raw                  the answer's bytes as they came, to standard output or -o
  -o, --output <file>        write the answer to this file (atomically)
      --timeout <seconds>    time for each attempt

fake: a fake Paragon on 127.0.0.1 for local development and tests, until Ctrl-C. It prints
its URL as one JSON line, then (on standard error) how to point a client at it and script it.
A routes file is a JSON list of {\"match\": {...}, \"replies\": [...], \"times\": n}.
--record sends the calls no route answers on to the real Paragon (the PARAGON_* settings) and
writes the exchanges, secrets scrubbed, at Ctrl-C; --replay answers from such a file.

Settings come from PARAGON_PROJECT_ID and PARAGON_USER_TOKEN or PARAGON_SIGNING_KEY (and the
other PARAGON_* variables). Exit codes: 0 success, 1 the call failed, 2 a usage error.";

/// Runs the tool with `args` (without the program's name) and gives its exit code. Output goes to
/// standard output (the answer: JSON indented on a terminal, compact otherwise) and standard
/// error (what failed).
pub fn main(args: &[String]) -> i32 {
    let command = match Command::parse(args) {
        Ok(command) => command,
        Err(Usage(problem)) => {
            if !problem.is_empty() {
                eprintln!("paragon-connect: {problem}");
            }
            eprintln!("{USAGE}");
            return EXIT_USAGE;
        }
    };
    let result = match command {
        Command::Help => {
            println!("{USAGE}");
            return EXIT_OK;
        }
        Command::Version => {
            println!("paragon-connect {}", crate::config::VERSION);
            return EXIT_OK;
        }
        Command::Token { user, lifetime } => token(&user, lifetime),
        Command::Request(request) => run_request(*request),
        Command::Fake(fake) => run_fake(fake),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(Failure::Usage(problem)) => {
            eprintln!("paragon-connect: {problem}");
            EXIT_USAGE
        }
        Err(Failure::Call(error)) => {
            eprintln!("paragon-connect: {}", failure_line(&error));
            EXIT_FAILED
        }
        Err(Failure::Other(problem)) => {
            eprintln!("paragon-connect: {problem}");
            EXIT_FAILED
        }
    }
}

/// The command line, parsed.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    Version,
    Token {
        user: String,
        lifetime: Option<Duration>,
    },
    Request(Box<RequestCommand>),
    Fake(FakeCommand),
}

#[derive(Debug, PartialEq, Default)]
struct FakeCommand {
    port: u16,
    routes: Option<PathBuf>,
    accept_any_token: bool,
    /// `--record <file>` or `--replay <file>`: a cassette.
    cassette: Option<(&'static str, PathBuf)>,
}

#[derive(Debug, PartialEq, Default)]
struct RequestCommand {
    integration: String,
    path: String,
    method: Option<String>,
    data: Option<String>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    user: Option<String>,
    credential: Option<String>,
    raw: bool,
    output: Option<PathBuf>,
    timeout: Option<Duration>,
}

/// A command line that cannot be run: what is wrong with it (empty: just show the usage).
#[derive(Debug, PartialEq)]
struct Usage(String);

enum Failure {
    Usage(String),
    Call(Error),
    /// Neither the command line's fault nor a call's (a port already taken, ...).
    #[cfg_attr(not(feature = "fake"), allow(dead_code))]
    Other(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Call(error)
    }
}

impl Command {
    fn parse(args: &[String]) -> Result<Command, Usage> {
        let mut args = args.iter();
        let usage = Usage;
        match args.next().map(String::as_str) {
            None | Some("-h" | "--help" | "help") => Ok(Command::Help),
            Some("-V" | "--version") => Ok(Command::Version),
            Some("token") => {
                let (mut user, mut lifetime) = (None, None);
                while let Some(arg) = args.next() {
                    let mut value = || value_after(arg, &mut args);
                    match arg.as_str() {
                        "--user" => user = Some(value()?),
                        "--lifetime" => lifetime = Some(seconds(arg, &value()?)?),
                        other => return Err(usage(format!("unknown option {other:?}"))),
                    }
                }
                let user = user.ok_or_else(|| usage("token needs --user <id>".into()))?;
                Ok(Command::Token { user, lifetime })
            }
            Some("request") => {
                let mut request = RequestCommand::default();
                let mut positional = Vec::new();
                while let Some(arg) = args.next() {
                    let mut value = || value_after(arg, &mut args);
                    match arg.as_str() {
                        "-X" | "--method" => request.method = Some(value()?),
                        "-d" | "--data" => request.data = Some(value()?),
                        "-H" | "--header" => {
                            let header = value()?;
                            let (name, value) = header.split_once(':').ok_or_else(|| {
                                usage(format!("a header is 'Name: value', not {header:?}"))
                            })?;
                            request
                                .headers
                                .push((name.trim().to_owned(), value.trim().to_owned()));
                        }
                        "-q" | "--query" => {
                            let pair = value()?;
                            let (name, value) = pair.split_once('=').ok_or_else(|| {
                                usage(format!("a query parameter is 'name=value', not {pair:?}"))
                            })?;
                            request.query.push((name.to_owned(), value.to_owned()));
                        }
                        "--user" => request.user = Some(value()?),
                        "--credential" => request.credential = Some(value()?),
                        "--raw" => request.raw = true,
                        "-o" | "--output" => request.output = Some(PathBuf::from(value()?)),
                        "--timeout" => request.timeout = Some(seconds(arg, &value()?)?),
                        option if option.starts_with('-') && option.len() > 1 => {
                            return Err(usage(format!("unknown option {option:?}")));
                        }
                        _ => positional.push(arg.clone()),
                    }
                }
                let [integration, path] = <[String; 2]>::try_from(positional).map_err(|given| {
                    usage(format!(
                        "request takes <integration> <path>, not {} arguments",
                        given.len()
                    ))
                })?;
                request.integration = integration;
                request.path = path;
                Ok(Command::Request(Box::new(request)))
            }
            Some("fake") => {
                let mut fake = FakeCommand::default();
                while let Some(arg) = args.next() {
                    let mut value = || value_after(arg, &mut args);
                    match arg.as_str() {
                        "--port" => {
                            let port = value()?;
                            fake.port = port.parse().map_err(|_| {
                                usage(format!("--port takes a port number, not {port:?}"))
                            })?;
                        }
                        "--routes" => fake.routes = Some(PathBuf::from(value()?)),
                        "--accept-any-token" => fake.accept_any_token = true,
                        "--record" | "--replay" => {
                            if fake.cassette.is_some() {
                                return Err(usage("give --record or --replay once".to_owned()));
                            }
                            let mode = if arg == "--record" {
                                "record"
                            } else {
                                "replay"
                            };
                            fake.cassette = Some((mode, PathBuf::from(value()?)));
                        }
                        other => return Err(usage(format!("unknown option {other:?}"))),
                    }
                }
                Ok(Command::Fake(fake))
            }
            Some(other) => Err(usage(format!("unknown command {other:?}"))),
        }
    }
}

/// The value given after `option`.
fn value_after(option: &str, args: &mut std::slice::Iter<'_, String>) -> Result<String, Usage> {
    args.next()
        .cloned()
        .ok_or_else(|| Usage(format!("{option} needs a value")))
}

fn seconds(option: &str, text: &str) -> Result<Duration, Usage> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| crate::config::duration_from_seconds(seconds).ok())
        .ok_or_else(|| Usage(format!("{option} takes a number of seconds, not {text:?}")))
}

/// Prints a user token for `user`, signed with `PARAGON_SIGNING_KEY` for `PARAGON_PROJECT_ID`.
fn token(user: &str, lifetime: Option<Duration>) -> Result<(), Failure> {
    let variable = |name: &'static str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| Failure::Call(ConfigError::new(name, "is not set").into()))
    };
    let key = SigningKey::from_pem(&variable("PARAGON_SIGNING_KEY")?).map_err(Error::from)?;
    let project = variable("PARAGON_PROJECT_ID")?;
    let mut options = TokenOptions::default();
    if let Some(lifetime) = lifetime {
        options.lifetime = lifetime;
    }
    let token = sign_user_token(&key, &project, user, &options).map_err(Error::from)?;
    println!("{}", token.expose());
    Ok(())
}

fn run_request(command: RequestCommand) -> Result<(), Failure> {
    let body = command.data.as_deref().map(json_body).transpose()?;
    let mut options = RequestOptions::new();
    options.method = command
        .method
        .or_else(|| body.is_some().then(|| "POST".to_owned()));
    options.body = body.map(crate::request::Body::Json);
    options.headers = command.headers;
    options.query = command.query;
    options.selected_credential_id = command.credential;
    options.timeout = command.timeout;
    let client = Client::from_env()?;
    let client = match &command.user {
        Some(user) => client.user(user.clone())?,
        None => client,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            Error::from(ConfigError::new(
                "runtime",
                format!("could not start: {error}"),
            ))
        })?;
    let (integration, path) = (command.integration, command.path);
    if let Some(output) = &command.output {
        // Written beside the file and renamed into place: never half a file.
        let options = options.raw(true);
        runtime.block_on(client.download(&integration, &path, options, output, None))?;
        return Ok(());
    }
    let answer = runtime.block_on(client.request(&integration, &path, options.raw(command.raw)))?;
    let mut stdout = std::io::stdout().lock();
    let written = match answer {
        Response::Empty => Ok(()),
        Response::Json(value) => writeln!(stdout, "{}", shown_json(&value)),
        Response::JsonText(text) => writeln!(stdout, "{text}"),
        Response::Text(text) => writeln!(stdout, "{text}"),
        Response::Raw(raw) => stdout.write_all(&raw.body),
    };
    // A closed pipe (`| head`) is not the call's failure.
    let _ = written.and_then(|()| stdout.flush());
    Ok(())
}

/// Runs a fake Paragon until Ctrl-C, after printing its URL and a guide.
#[cfg(feature = "fake")]
fn run_fake(command: FakeCommand) -> Result<(), Failure> {
    use crate::fake::{FakeParagon, PROJECT_ID};
    let routes = match &command.routes {
        None => None,
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|error| Failure::Usage(format!("--routes {}: {error}", path.display())))?,
        ),
    };
    let mut options = serde_json::json!({
        "port": command.port,
        "accept_any_token": command.accept_any_token,
    });
    let mut upstream = None;
    if let Some((mode, path)) = &command.cassette {
        options["cassette"] = serde_json::json!({"path": path, "mode": mode});
        if *mode == "record" {
            // The real Paragon, as `paragon-connect request` reaches it.
            let client =
                Client::from_env().map_err(|error| Failure::Usage(format!("--record: {error}")))?;
            upstream = Some(client);
        }
    }
    let fake = FakeParagon::start_with(&options.to_string(), upstream)
        .map_err(|error| Failure::Other(error.to_string()))?;
    if let (Some(routes), Some(path)) = (routes, &command.routes) {
        fake.add_routes_file(&routes)
            .map_err(|error| Failure::Usage(format!("--routes {}: {error}", path.display())))?;
    }
    println!(
        "{}",
        serde_json::json!({"url": fake.url(), "project_id": PROJECT_ID})
    );
    eprintln!("{}", paragon_sandbox::guide(fake.url()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Other(format!("could not wait for Ctrl-C: {error}")))?;
    runtime
        .block_on(tokio::signal::ctrl_c())
        .map_err(|error| Failure::Other(format!("could not wait for Ctrl-C: {error}")))?;
    // A recording is written now; a replay reports the calls it could not answer.
    fake.finish_cassette()
        .map_err(|error| Failure::Other(error.to_string()))
}

#[cfg(not(feature = "fake"))]
fn run_fake(_: FakeCommand) -> Result<(), Failure> {
    Err(Failure::Usage(
        "this build has no fake Paragon (the core's `fake` feature)".to_owned(),
    ))
}

/// `-d`: JSON text, `@file` or `-` (standard input), parsed so a typo fails before sending.
fn json_body(data: &str) -> Result<Value, Failure> {
    let text = match data {
        "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| Failure::Usage(format!("-d -: cannot read stdin: {error}")))?;
            text
        }
        _ => match data.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|error| Failure::Usage(format!("-d @{path}: {error}")))?,
            None => data.to_owned(),
        },
    };
    serde_json::from_str(&text).map_err(|error| Failure::Usage(format!("-d is not JSON: {error}")))
}

/// JSON indented for a person at a terminal, compact for a pipe.
fn shown_json(value: &Value) -> String {
    match std::io::stdout().is_terminal() {
        true => serde_json::to_string_pretty(value).unwrap_or_default(),
        false => value.to_string(),
    }
}

/// What failed, in one line: for an answer, its status and Paragon's message.
fn failure_line(error: &Error) -> String {
    match error.as_status() {
        Some(status) => format!("{} {}", status.status, status.message),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, Usage> {
        Command::parse(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_request_takes_its_options_anywhere() {
        let Command::Request(request) = parse(&[
            "request",
            "-X",
            "post",
            "slack",
            "-H",
            "X-Trace: a:b",
            "/chat.postMessage",
            "-q",
            "a=1=2",
            "--user",
            "u1",
            "--raw",
            "--timeout",
            "2.5",
        ])
        .unwrap() else {
            panic!("not a request");
        };
        assert_eq!(
            *request,
            RequestCommand {
                integration: "slack".into(),
                path: "/chat.postMessage".into(),
                method: Some("post".into()),
                headers: vec![("X-Trace".into(), "a:b".into())],
                query: vec![("a".into(), "1=2".into())],
                user: Some("u1".into()),
                raw: true,
                timeout: Some(Duration::from_millis(2500)),
                ..RequestCommand::default()
            }
        );
    }

    #[test]
    fn a_wrong_command_line_says_what_is_wrong() {
        for (args, says) in [
            (
                &["request", "slack"][..],
                "request takes <integration> <path>, not 1 arguments",
            ),
            (
                &["request", "slack", "/x", "-H", "nocolon"],
                "a header is 'Name: value'",
            ),
            (
                &["request", "slack", "/x", "--timeout", "soon"],
                "--timeout takes a number",
            ),
            (
                &["request", "slack", "/x", "--bogus"],
                "unknown option \"--bogus\"",
            ),
            (&["request", "slack", "/x", "-d"], "-d needs a value"),
            (&["token"], "token needs --user <id>"),
            (&["fetch"], "unknown command \"fetch\""),
        ] {
            let Err(Usage(problem)) = parse(args) else {
                panic!("{args:?} parsed");
            };
            assert!(problem.contains(says), "{args:?}: {problem}");
        }
        assert_eq!(parse(&[]), Ok(Command::Help));
        assert_eq!(parse(&["--version"]), Ok(Command::Version));
    }
}
