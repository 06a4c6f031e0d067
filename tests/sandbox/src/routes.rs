//! Scripted routes: a test says which proxy calls get which replies. A route is a [`CallPattern`]
//! and a sequence of replies played in order, the last one repeating (or, with `times`, the
//! route stepping aside after that many calls). The newest matching route answers, so a test can
//! override a route its fixture set up.

use serde::{Deserialize, Serialize};

use crate::calls::{Call, CallPattern, CompiledPattern};
use crate::reply::Reply;

/// A route as a test (or `routes.json`) describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Which calls this route answers.
    #[serde(default, rename = "match")]
    pub pattern: CallPattern,
    /// Played in order; the last repeats. A route without replies answers nothing yet.
    #[serde(default)]
    pub replies: Vec<Reply>,
    /// Answer this many calls at most, then step aside.
    #[serde(default)]
    pub times: Option<u64>,
}

struct Route {
    id: u64,
    pattern: CompiledPattern,
    replies: Vec<Reply>,
    times: Option<u64>,
    /// Calls answered so far.
    served: u64,
}

/// The routes of one fake, newest last.
#[derive(Default)]
pub(crate) struct Routes {
    routes: Vec<Route>,
    next_id: u64,
}

impl Routes {
    pub(crate) fn add(&mut self, spec: RouteSpec) -> Result<u64, String> {
        let pattern = spec.pattern.compile()?;
        self.next_id += 1;
        self.routes.push(Route {
            id: self.next_id,
            pattern,
            replies: spec.replies,
            times: spec.times,
            served: 0,
        });
        Ok(self.next_id)
    }

    pub(crate) fn add_reply(&mut self, id: u64, reply: Reply) -> Result<(), String> {
        let route = self.route(id)?;
        route.replies.push(reply);
        Ok(())
    }

    /// How many calls route `id` answered.
    pub(crate) fn served(&mut self, id: u64) -> Result<u64, String> {
        Ok(self.route(id)?.served)
    }

    fn route(&mut self, id: u64) -> Result<&mut Route, String> {
        self.routes
            .iter_mut()
            .find(|route| route.id == id)
            .ok_or_else(|| format!("no route {id} (the fake was reset?)"))
    }

    /// The reply of the newest route that matches `call` and still answers.
    pub(crate) fn answer(&mut self, call: &Call) -> Option<Reply> {
        let route = self.routes.iter_mut().rev().find(|route| {
            !route.replies.is_empty()
                && route.times.is_none_or(|times| route.served < times)
                && route.pattern.matches(call)
        })?;
        let index = (route.served as usize).min(route.replies.len() - 1);
        route.served += 1;
        Some(route.replies[index].clone())
    }

    pub(crate) fn summaries(&self) -> Vec<String> {
        self.routes
            .iter()
            .map(|route| route.pattern.pattern.summary())
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.routes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::CallBody;
    use serde_json::json;

    fn call(path: &str) -> Call {
        Call {
            integration: Some("slack".to_owned()),
            method: "GET".to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            user: Some("user-1".to_owned()),
            body: CallBody::Empty,
            body_base64: String::new(),
            answered: false,
        }
    }

    fn spec(value: serde_json::Value) -> RouteSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn replies_play_in_order_and_the_last_repeats() {
        let mut routes = Routes::default();
        routes
            .add(spec(
                json!({"match": {"path": "/a"}, "replies": [{"status": 503}, {"status": 200}]}),
            ))
            .unwrap();
        let statuses: Vec<u16> = (0..4)
            .map(|_| routes.answer(&call("/a")).unwrap().status)
            .collect();
        assert_eq!(statuses, [503, 200, 200, 200]);
        assert!(routes.answer(&call("/b")).is_none());
    }

    #[test]
    fn the_newest_route_wins_and_times_makes_it_step_aside() {
        let mut routes = Routes::default();
        routes
            .add(spec(
                json!({"match": {"path": "/a"}, "replies": [{"status": 200}]}),
            ))
            .unwrap();
        let id = routes
            .add(spec(
                json!({"match": {"path": "/a"}, "replies": [{"status": 429}], "times": 1}),
            ))
            .unwrap();
        assert_eq!(routes.answer(&call("/a")).unwrap().status, 429);
        assert_eq!(routes.answer(&call("/a")).unwrap().status, 200);
        assert_eq!(routes.served(id), Ok(1));
    }

    #[test]
    fn a_route_without_replies_answers_nothing_until_given_one() {
        let mut routes = Routes::default();
        let id = routes.add(spec(json!({"match": {"path": "/a"}}))).unwrap();
        assert!(routes.answer(&call("/a")).is_none());
        routes.add_reply(id, Reply::json(201, json!({}))).unwrap();
        assert_eq!(routes.answer(&call("/a")).unwrap().status, 201);
        assert!(routes.add_reply(99, Reply::json(200, json!({}))).is_err());
    }
}
