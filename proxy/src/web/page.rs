//! The HTML status page: one card per listen with its servers (state, last check, weight,
//! sessions, bytes, admin buttons) and its recent state changes. Plain HTML and inline CSS,
//! no script; it reloads itself every `[web] refresh`.

use super::auth::{CsrfToken, Login};
use super::history::{recent_changes, utc};
use crate::config::WebLevel;
use crate::human::{age, bytes};
use crate::state::{ListenState, Runtime, ServerMode, ServerSnapshot, ServerState};
use crate::stats::status::server_status;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime};

/// What the page needs besides the runtime.
pub struct PageContext<'a> {
    pub login: &'a Login,
    pub token: &'a CsrfToken,
    pub refresh: Duration,
    /// A one-line message about the last action (already plain text, escaped here).
    pub notice: Option<String>,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn mode_class(m: ServerMode) -> &'static str {
    match m {
        ServerMode::Up => "up",
        ServerMode::Down => "down",
        ServerMode::Maint => "maint",
        ServerMode::Drain | ServerMode::Nolb => "drain",
    }
}

const STYLE: &str = r#"
:root{--up:#1a7f37;--down:#cf222e;--maint:#57606a;--drain:#9a6700;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
header{background:#24292f;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
header span{color:#d0d7de}
main{padding:16px 24px;max-width:1400px}
.notice{background:#ddf4ff;border:1px solid #54aeff;border-radius:6px;padding:8px 12px;margin-bottom:16px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;margin-bottom:20px;overflow:hidden}
section>h2{font-size:16px;margin:0;padding:10px 16px;border-bottom:1px solid var(--line);display:flex;gap:12px;align-items:center}
.meta{color:var(--muted);font-size:13px;padding:6px 16px;border-bottom:1px solid var(--line)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;min-width:64px;text-align:center;padding:2px 8px;border-radius:12px;color:#fff;font-weight:600;font-size:12px}
.badge.up{background:var(--up)}.badge.down{background:var(--down)}.badge.maint{background:var(--maint)}.badge.drain{background:var(--drain)}
tr.down td:first-child{border-left:4px solid var(--down)}tr.up td:first-child{border-left:4px solid var(--up)}
tr.maint td:first-child{border-left:4px solid var(--maint)}tr.drain td:first-child{border-left:4px solid var(--drain)}
.small{color:var(--muted);font-size:12px}
.tag{font-size:11px;border:1px solid var(--line);border-radius:4px;padding:0 4px;color:var(--muted);margin-left:4px}
form{display:flex;gap:4px;margin:0}
button{font:inherit;font-size:12px;padding:3px 10px;border-radius:6px;border:1px solid var(--line);background:#f6f8fa;cursor:pointer}
button:hover:not(:disabled){background:#eaeef2}
button:disabled{opacity:.45;cursor:default}
button.danger{color:var(--down)}
h3{font-size:13px;margin:0;padding:8px 16px;color:var(--muted)}
.changes{width:auto;margin:0 0 8px 6px}.changes td{font-size:13px;border:0;padding:4px 10px}
"#;

/// Renders the whole page.
pub fn render(rt: &Runtime, ctx: &PageContext<'_>) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let admin = ctx.login.level == WebLevel::Admin;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{refresh}\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>sockhop on {node}</title><style>{STYLE}</style></head><body>\
         <header><h1>sockhop {version}</h1><span>node <b>{node}</b></span>\
         <span>up {uptime}</span><span>{cur} client connections ({total} total)</span>\
         <span>{now}</span><span>signed in as <b>{user}</b> ({level})</span></header><main>",
        refresh = ctx.refresh.as_secs().max(1),
        node = esc(&rt.config.global.node),
        version = env!("CARGO_PKG_VERSION"),
        uptime = age(rt.started.elapsed()),
        cur = rt.global.cur.load(Relaxed),
        total = rt.global.total.load(Relaxed),
        now = utc(SystemTime::now()),
        user = esc(&ctx.login.name),
        level = if admin { "admin" } else { "read-only" },
    );
    if let Some(n) = &ctx.notice {
        let _ = write!(h, "<p class=\"notice\" role=\"status\">{}</p>", esc(n));
    }
    for l in &rt.listens {
        listen_card(&mut h, l, admin, ctx.token);
    }
    h.push_str(
        "<p class=\"small\">Metrics for Prometheus: <a href=\"/metrics\">/metrics</a>.</p></main></body></html>\n",
    );
    h
}

fn listen_card(h: &mut String, l: &ListenState, admin: bool, token: &CsrfToken) {
    let b = l.backend_snapshot();
    let binds: Vec<String> = l.config.binds.iter().map(|a| a.to_string()).collect();
    let _ = write!(
        h,
        "<section data-listen=\"{name}\"><h2>{name} <span class=\"badge {cls}\">{state}</span></h2>\
         <div class=\"meta\">bind {binds} · data path <b>{path}</b> · balance {balance} · \
         {act} active and {bck} backup servers usable · {fcur} client sessions now, {ftot} total{fo}</div>",
        name = esc(l.name()),
        cls = if b.up { "up" } else { "down" },
        state = if b.up { "UP" } else { "DOWN" },
        binds = esc(&binds.join(", ")),
        path = l.datapath().map_or("not started", |k| k.as_str()),
        balance = l.config.balance.as_str(),
        act = b.act,
        bck = b.bck,
        fcur = l.frontend.cur.load(Relaxed),
        ftot = l.frontend.total.load(Relaxed),
        fo = if b.failed_over {
            " · <b>traffic held on backups</b> (manual failback: set the active server ready)"
        } else {
            ""
        },
    );
    h.push_str(
        "<table><thead><tr><th>Server</th><th>State</th><th>Since</th><th>Last check</th>\
         <th>Weight</th><th>Sessions now / max / total</th><th>Bytes in / out</th>",
    );
    if admin {
        h.push_str("<th>Actions</th>");
    }
    h.push_str("</tr></thead><tbody>");
    for s in &l.servers {
        server_row(h, l, s, admin, token);
    }
    h.push_str("</tbody></table>");
    let changes = recent_changes(l);
    h.push_str("<h3>Recent state changes</h3><table class=\"changes\"><tbody>");
    if changes.is_empty() {
        h.push_str("<tr><td class=\"small\">none since start</td></tr>");
    }
    for (server, c) in &changes {
        let _ = write!(
            h,
            "<tr><td class=\"small\">{at}</td><td>{server}</td>\
             <td><span class=\"badge {fc}\">{from}</span> → <span class=\"badge {tc}\">{to}</span></td>\
             <td>{reason}</td></tr>",
            at = utc(c.at),
            server = esc(server),
            fc = mode_class(c.from),
            from = c.from.as_str(),
            tc = mode_class(c.to),
            to = c.to.as_str(),
            reason = esc(&c.reason),
        );
    }
    h.push_str("</tbody></table></section>");
}

fn last_check(s: &ServerSnapshot) -> String {
    if !s.has_check {
        return "<span class=\"small\">no check configured</span>".into();
    }
    let Some(at) = s.last_check_age else {
        return "<span class=\"small\">not checked yet</span>".into();
    };
    let c = &s.last_check;
    let mut out = format!("<b>{}</b> {}", c.status.code(), esc(c.status.description()));
    if let Some(code) = c.code {
        let _ = write!(out, " ({code})");
    }
    if !c.info.is_empty() {
        let _ = write!(out, ": {}", esc(&c.info));
    }
    let _ = write!(
        out,
        "<br><span class=\"small\">{} ms, {} ago{}{}</span>",
        c.duration.as_millis(),
        age(at),
        if s.maint() {
            " · checks paused (MAINT)"
        } else if s.check_enabled {
            ""
        } else {
            " · checks disabled"
        },
        if s.check_running {
            " · checking…"
        } else {
            ""
        },
    );
    out
}

fn server_row(h: &mut String, l: &ListenState, srv: &ServerState, admin: bool, token: &CsrfToken) {
    let s = srv.snapshot();
    let c = &srv.counters;
    let mode = s.mode();
    let id = format!("{}/{}", l.name(), s.name);
    let _ = write!(
        h,
        "<tr class=\"{cls}\" data-server=\"{id}\" data-state=\"{state}\">\
         <td><b>{name}</b>{backup}<br><span class=\"small\">{addr}</span></td>\
         <td><span class=\"badge {cls}\">{status}</span></td>\
         <td class=\"small\">{since}</td><td>{check}</td>\
         <td class=\"num\">{w}{iw}</td>\
         <td class=\"num\">{cur} / {max} / {tot}</td>\
         <td class=\"num\">{bin} / {bout}</td>",
        cls = mode_class(mode),
        id = esc(&id),
        state = mode.as_str(),
        name = esc(&s.name),
        backup = if s.backup {
            "<span class=\"tag\">backup</span>"
        } else {
            ""
        },
        addr = esc(&s.address_text),
        status = esc(&server_status(&s)),
        since = age(s.since_change),
        check = last_check(&s),
        w = s.uweight,
        iw = if s.uweight == s.iweight {
            String::new()
        } else {
            format!(" <span class=\"small\">(of {})</span>", s.iweight)
        },
        cur = c.cur.load(Relaxed),
        max = c.max.load(Relaxed),
        tot = c.total.load(Relaxed),
        bin = bytes(c.bytes_in.load(Relaxed)),
        bout = bytes(c.bytes_out.load(Relaxed)),
    );
    if admin {
        let dis = |off: bool| if off { " disabled" } else { "" };
        let _ = write!(
            h,
            "<td><form method=\"post\" action=\"/action\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <input type=\"hidden\" name=\"listen\" value=\"{listen}\">\
             <input type=\"hidden\" name=\"server\" value=\"{server}\">\
             <button name=\"action\" value=\"enable\" data-action=\"enable\"{e}>Enable</button>\
             <button name=\"action\" value=\"drain\" data-action=\"drain\"{d}>Drain</button>\
             <button class=\"danger\" name=\"action\" value=\"disable\" data-action=\"disable\"{m}>Disable</button>\
             </form></td>",
            token = esc(token.as_str()),
            listen = esc(l.name()),
            server = esc(&s.name),
            e = dis(!s.maint() && !s.drain()),
            d = dis(s.drain()),
            m = dis(s.maint()),
        );
    }
    h.push_str("</tr>");
}

#[cfg(test)]
mod tests {
    use super::super::test_support::runtime;
    use super::*;
    use crate::state::{AdminChange, CheckResult, CheckStatus};

    fn ctx<'a>(login: &'a Login, token: &'a CsrfToken) -> PageContext<'a> {
        PageContext {
            login,
            token,
            refresh: Duration::from_secs(5),
            notice: Some("<script>".into()),
        }
    }

    #[tokio::test]
    async fn shows_states_checks_history_and_escapes() {
        let rt = runtime();
        let l = &rt.listens[0];
        let p = l.server("Primary").unwrap();
        l.apply_check(
            p,
            CheckResult::new(
                CheckStatus::L4Con,
                "Connection <refused>",
                Duration::from_millis(3),
            ),
        );
        l.set_admin(l.server("Secondary").unwrap(), AdminChange::Drain);
        let token = CsrfToken::generate().unwrap();
        let admin = Login {
            name: "admin".into(),
            level: WebLevel::Admin,
        };
        let html = render(&rt, &ctx(&admin, &token));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
        assert!(html.contains("data-server=\"My&lt;SQL&gt;/Primary\" data-state=\"DOWN\""));
        assert!(html.contains("data-state=\"DRAIN\""));
        assert!(
            html.contains("<b>L4CON</b> Layer4 connection problem: Connection &lt;refused&gt;")
        );
        assert!(html.contains("UP</span> → <span class=\"badge down\">DOWN"));
        assert!(html.contains("set to drain by an operator"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains(&format!("name=\"token\" value=\"{}\"", token.as_str())));
        assert_eq!(html.matches("data-action=\"disable\"").count(), 2);
        assert!(html.contains("data path <b>not started</b>"));
    }

    #[tokio::test]
    async fn read_only_users_get_no_buttons() {
        let rt = runtime();
        let token = CsrfToken::generate().unwrap();
        let viewer = Login {
            name: "viewer".into(),
            level: WebLevel::User,
        };
        let html = render(&rt, &ctx(&viewer, &token));
        assert!(!html.contains("<form"));
        assert!(!html.contains(token.as_str()));
        assert!(html.contains("(read-only)"));
        assert!(html.contains("data-state=\"UP\""));
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
