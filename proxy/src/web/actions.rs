//! The enable/disable/drain buttons: a POSTed form checked for its CSRF token and origin,
//! then applied through `ListenState::set_admin` (the same path as the stats socket's
//! `enable server`/`disable server`/`set server state drain`).

use super::auth::{CsrfToken, same_origin};
use super::http::{Request, parse_form};
use crate::state::{AdminChange, Runtime};

/// An admin request from the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `enable server`: back to READY.
    Enable,
    /// `set server state drain`.
    Drain,
    /// `disable server`: MAINT.
    Disable,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "enable" => Action::Enable,
            "drain" => Action::Drain,
            "disable" => Action::Disable,
            _ => return None,
        })
    }
    pub fn change(self) -> AdminChange {
        match self {
            Action::Enable => AdminChange::Ready,
            Action::Drain => AdminChange::Drain,
            Action::Disable => AdminChange::Maint,
        }
    }
    fn done(self) -> &'static str {
        match self {
            Action::Enable => "enabled (READY)",
            Action::Drain => "set to DRAIN",
            Action::Disable => "disabled (MAINT)",
        }
    }
}

/// Why an action was refused; each maps to an HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("the form is not valid application/x-www-form-urlencoded")]
    BadForm,
    #[error("missing or unknown field `{0}`")]
    Field(&'static str),
    #[error("the request does not come from this page (origin check failed)")]
    CrossOrigin,
    #[error("the form token is missing or stale; reload the page and try again")]
    Token,
    #[error("no server {0}")]
    NotFound(String),
}

impl ActionError {
    pub fn status(&self) -> u16 {
        match self {
            ActionError::BadForm | ActionError::Field(_) => 400,
            ActionError::CrossOrigin | ActionError::Token => 403,
            ActionError::NotFound(_) => 404,
        }
    }
}

/// Checks and applies one POSTed action; returns the message the page shows next.
pub fn apply(rt: &Runtime, token: &CsrfToken, req: &Request) -> Result<String, ActionError> {
    if !same_origin(req) {
        return Err(ActionError::CrossOrigin);
    }
    let form = parse_form(&req.body).ok_or(ActionError::BadForm)?;
    let field = |name: &'static str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or(ActionError::Field(name))
    };
    if !token.matches(field("token").map_err(|_| ActionError::Token)?) {
        return Err(ActionError::Token);
    }
    let action = Action::parse(field("action")?).ok_or(ActionError::Field("action"))?;
    let (listen_name, server_name) = (field("listen")?, field("server")?);
    let target = format!("{listen_name}/{server_name}");
    let listen = rt
        .listen(listen_name)
        .ok_or_else(|| ActionError::NotFound(target.clone()))?;
    let server = listen
        .server(server_name)
        .ok_or_else(|| ActionError::NotFound(target.clone()))?;
    listen.set_admin(server, action.change());
    Ok(format!("{target} {}.", action.done()))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::runtime;
    use super::*;
    use crate::state::ServerMode;

    fn post(body: &str, origin: Option<&str>) -> Request {
        let mut headers = vec![("host".to_string(), "127.0.0.1:8404".to_string())];
        if let Some(o) = origin {
            headers.push(("origin".into(), o.into()));
        }
        Request {
            method: "POST".into(),
            path: "/action".into(),
            query: String::new(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn disable_drain_enable_go_through_set_admin() {
        let rt = runtime();
        let t = CsrfToken::generate().unwrap();
        let origin = Some("http://127.0.0.1:8404");
        let mode = || rt.listens[0].server("Primary").unwrap().snapshot().mode();
        for (action, want) in [
            ("disable", ServerMode::Maint),
            ("drain", ServerMode::Drain),
            ("enable", ServerMode::Up),
        ] {
            let body = format!(
                "token={}&listen=My%3CSQL%3E&server=Primary&action={action}",
                t.as_str()
            );
            let msg = apply(&rt, &t, &post(&body, origin)).unwrap();
            assert!(msg.starts_with("My<SQL>/Primary "), "{msg}");
            assert_eq!(mode(), want, "{action}");
        }
        let history = rt.listens[0].server("Primary").unwrap().history();
        assert_eq!(history.len(), 3);
    }

    #[tokio::test]
    async fn refuses_forged_or_broken_requests() {
        let rt = runtime();
        let t = CsrfToken::generate().unwrap();
        let good = "http://127.0.0.1:8404";
        let ok_body = |rest: &str| format!("token={}&{rest}", t.as_str());
        let cases = [
            (
                ok_body("listen=My%3CSQL%3E&server=Primary&action=disable"),
                Some("http://evil.example"),
                403,
            ),
            (
                ok_body("listen=My%3CSQL%3E&server=Primary&action=disable"),
                None,
                403,
            ),
            (
                "token=00&listen=My%3CSQL%3E&server=Primary&action=disable".into(),
                Some(good),
                403,
            ),
            (
                "listen=My%3CSQL%3E&server=Primary&action=disable".into(),
                Some(good),
                403,
            ),
            (
                ok_body("listen=My%3CSQL%3E&server=Primary&action=explode"),
                Some(good),
                400,
            ),
            (
                ok_body("listen=My%3CSQL%3E&action=disable"),
                Some(good),
                400,
            ),
            (ok_body("listen=%ZZ"), Some(good), 400),
            (
                ok_body("listen=Nope&server=Primary&action=disable"),
                Some(good),
                404,
            ),
            (
                ok_body("listen=My%3CSQL%3E&server=Nope&action=disable"),
                Some(good),
                404,
            ),
        ];
        for (body, origin, status) in cases {
            let e = apply(&rt, &t, &post(&body, origin)).unwrap_err();
            assert_eq!(e.status(), status, "{body} {origin:?}: {e}");
        }
        assert_eq!(
            rt.listens[0].server("Primary").unwrap().snapshot().mode(),
            ServerMode::Up,
            "nothing was applied"
        );
    }
}
