//! hatop (Debian), a real interactive stats-socket client, driven in tmux against sockhop:
//! it starts, lists the servers with their states, and its F10 (disable) and F9 (enable)
//! keys change the server's state in sockhop. A second hatop reads the TCP stats socket.

use sockhop_tests::mariadb::{Role, program};
use sockhop_tests::net::TestNet;
use sockhop_tests::require_prerequisites;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::tmux::Tmux;
use sockhop_tests::wait;
use sockhop_tests::world::World;
use std::time::Duration;

/// hatop refreshes every second (`-i 1`); a change shows within this.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(10);

/// hatop's row of `server`: the line of its status view that starts with the name.
fn row<'a>(screen: &'a str, server: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.split_whitespace().next() == Some(server))
}

/// Waits until hatop shows `server` with `status` in its STATUS column.
fn wait_row(t: &Tmux, server: &str, status: &str) {
    wait::until(
        SCREEN_TIMEOUT,
        &format!("hatop to show {server} {status}"),
        || {
            let screen = t.screen();
            match row(&screen, server) {
                // NAME, W, STATUS, ...
                Some(l) if l.split_whitespace().nth(2) == Some(status) => Ok(()),
                _ => Err(screen),
            }
        },
    );
}

/// Moves hatop's cursor (the reverse-video line) onto `server`.
fn select(t: &Tmux, server: &str) {
    for _ in 0..10 {
        let screen = t.screen_with_attributes();
        let selected = screen
            .lines()
            .find_map(|l| l.split_once("\x1b[7m").map(|(_, rest)| rest.to_owned()));
        if selected.is_some_and(|l| l.split_whitespace().next() == Some(server)) {
            return;
        }
        t.keys(&["Down"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("could not move hatop's cursor to {server}:\n{}", t.screen());
}

#[test]
fn hatop_lists_and_switches_servers() {
    require_prerequisites!("hatop_lists_and_switches_servers", ["hatop", "tmux"]);
    let net = TestNet::new(112);
    let tcp: std::net::SocketAddr = format!("127.0.{}.1:9999", net.block).parse().unwrap();
    let setup = Setup {
        tcp_stats: Some(tcp),
        ..Setup::default()
    };
    let w = World::start("compat-hatop", net, setup);
    let socket = w.sockhop.stats_socket().display().to_string();
    let hatop = program("hatop");
    let t = Tmux::start(
        &w.pair.dir().join("hatop"),
        &hatop,
        &["-s", &socket, "-i", "1"],
    );

    // It starts and lists both servers, UP, with sockhop's identity in its header.
    wait_row(&t, "Primary", "UP");
    wait_row(&t, "Secondary", "UP");
    let screen = t.screen();
    assert!(screen.contains("sockhop Version"), "{screen}");
    assert!(screen.contains(">>> MySQL"), "{screen}");

    // F10 disables the selected server, F9 enables it again, through sockhop's socket.
    select(&t, "Primary");
    t.keys(&["F10"]);
    w.wait_status(Role::Primary, "MAINT", SCREEN_TIMEOUT);
    wait_row(&t, "Primary", "MAINT");
    assert_eq!(
        w.sockhop.show_stat().status("MySQL", "Secondary"),
        Some("UP"),
        "only the selected server changes"
    );
    t.keys(&["F9"]);
    w.wait_status(Role::Primary, "UP", w.transition_bound(w.setup.rise));
    wait_row(&t, "Primary", "UP");
    t.keys(&["q"]);
    drop(t);

    // The same over the TCP stats socket.
    let t = Tmux::start(
        &w.pair.dir().join("hatop-tcp"),
        &hatop,
        &["-t", &tcp.to_string(), "-i", "1"],
    );
    wait_row(&t, "Primary", "UP");
    wait_row(&t, "Secondary", "UP");
}
