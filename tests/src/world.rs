//! One walkthrough: a MariaDB pair on the test's addresses and sockhop in front of it, with
//! the operations the seed performs (connect through the proxy, stop and start a server,
//! read `show stat`).

use crate::datapath;
use crate::net::TestNet;
use crate::sockhop::{Proxy, Setup, Sockhop};
use crate::wait;
use std::time::Duration;
use xtask::mariadb::client::{self, Endpoint, Login};
use xtask::mariadb::{
    APPLICATION_PASSWORD, APPLICATION_USER, MariaDbError, MariaDbPair, PairOptions, Role,
};

/// The proxy name of the seed's listen.
pub const LISTEN: &str = "MySQL";

/// A pair started for test `name` on the addresses of `net`.
pub fn pair(
    name: &str,
    net: TestNet,
    tune: impl FnOnce(PairOptions) -> PairOptions,
) -> MariaDbPair {
    let opts = tune(PairOptions::new(name).ips(net.primary(), net.secondary()));
    Sockhop::clean(&Sockhop::dir_for(&opts.dir()));
    MariaDbPair::start(opts).unwrap_or_else(|e| panic!("{name}: cannot start MariaDB: {e}"))
}

/// The pair and sockhop. Fields drop in order: sockhop first, then the servers.
pub struct World {
    pub sockhop: Sockhop,
    pub pair: MariaDbPair,
    pub net: TestNet,
    pub setup: Setup,
}

impl World {
    /// Starts the pair and sockhop, then waits until both servers are UP. With a data path
    /// in `setup`, sockhop must say it uses that path.
    pub fn start(name: &str, net: TestNet, setup: Setup) -> World {
        Self::start_with(name, net, setup, |o| o)
    }

    /// As [`World::start`], with the pair's options adjusted by `tune`.
    pub fn start_with(
        name: &str,
        net: TestNet,
        setup: Setup,
        tune: impl FnOnce(PairOptions) -> PairOptions,
    ) -> World {
        let pair = pair(name, net, tune);
        let sockhop = Sockhop::start(&Sockhop::dir_for(pair.dir()), net, &setup);
        let world = World {
            sockhop,
            pair,
            net,
            setup,
        };
        if let (Some(path), Proxy::Sockhop) = (world.setup.datapath, world.sockhop.proxy()) {
            datapath::assert_selected(&world.sockhop, LISTEN, path);
        }
        for role in Role::BOTH {
            world.wait_status(role, "UP", world.transition_bound(world.setup.rise));
        }
        world
    }

    /// The longest a health transition needing `checks` consecutive results may take:
    /// `inter` x checks plus slack for a loaded machine.
    pub fn transition_bound(&self, checks: u32) -> Duration {
        self.setup.inter * checks + Duration::from_millis(1500)
    }

    /// Waits until the `status` column of `role` is `status`; returns how long it took.
    pub fn wait_status(&self, role: Role, status: &str, timeout: Duration) -> Duration {
        let what = format!("{LISTEN}/{role} to be {status}");
        wait::until(timeout, &what, || {
            let table = self.sockhop.show_stat();
            match table.status(LISTEN, role.name()) {
                Some(s) if s == status => Ok(()),
                _ => Err(crate::stats::seed_cut(&table.csv).join(" | ")),
            }
        })
        .1
    }

    /// Runs `sql` through sockhop as the application.
    pub fn via_proxy(&self, sql: &str) -> Result<String, MariaDbError> {
        client::query(
            &Endpoint::Tcp(self.sockhop.bind()),
            Login::new(APPLICATION_USER, Some(APPLICATION_PASSWORD)),
            sql,
        )
    }

    /// `SELECT @@server_id` through sockhop, with the real client.
    pub fn server_id(&self) -> Result<u32, String> {
        let out = self
            .via_proxy("SELECT @@server_id")
            .map_err(|e| e.to_string())?;
        out.trim()
            .parse()
            .map_err(|_| format!("not a server id: {out:?}"))
    }

    /// Server ids of `n` successive connections through sockhop (each must succeed).
    pub fn server_ids(&self, n: usize) -> Vec<u32> {
        (0..n)
            .map(|i| {
                self.server_id()
                    .unwrap_or_else(|e| panic!("connection {i} through sockhop failed: {e}"))
            })
            .collect()
    }

    /// Waits until a connection through sockhop reaches `role`, then checks that the next
    /// `n` connections all do.
    pub fn traffic_goes_to(&self, role: Role, n: usize) {
        let want = role.server_id();
        wait::until(
            Duration::from_secs(10),
            &format!("a connection through sockhop to reach {role} (server_id {want})"),
            || match self.server_id() {
                Ok(id) if id == want => Ok(()),
                Ok(id) => Err(format!("server_id {id}")),
                Err(e) => Err(e),
            },
        );
        let ids = self.server_ids(n);
        assert!(
            ids.iter().all(|&id| id == want),
            "expected every connection on {role} (server_id {want}), got {ids:?}"
        );
    }

    /// The test's client sessions went through the data path of its setup, and that path's
    /// byte counters reached `show stat` (nothing to check without a path, or with HAProxy).
    pub fn assert_sessions_carried(&self) {
        if let (Some(path), Proxy::Sockhop) = (self.setup.datapath, self.sockhop.proxy()) {
            datapath::assert_sessions_carried(&self.sockhop, path);
            self.wait_bytes_counted();
        }
    }

    /// Waits until the FRONTEND's `bin` and `bout` in `show stat` are both above zero.
    fn wait_bytes_counted(&self) {
        wait::until(
            Duration::from_secs(5),
            "the FRONTEND's bin and bout to count the sessions' bytes",
            || {
                let table = self.sockhop.show_stat();
                let count = |name| {
                    table
                        .field(LISTEN, "FRONTEND", name)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                match (count("bin"), count("bout")) {
                    (bin, bout) if bin > 0 && bout > 0 => Ok(()),
                    (bin, bout) => Err(format!("bin {bin}, bout {bout}")),
                }
            },
        );
    }

    /// Waits until `sql` (a count) on `role` answers `want`.
    pub fn wait_count(&self, role: Role, sql: &str, want: u64, timeout: Duration) {
        let server = self.pair.instance(role);
        wait_count(server, sql, want, timeout);
    }
}

/// Waits until the single number `sql` returns on `server` is `want`.
pub fn wait_count(server: &xtask::mariadb::Instance, sql: &str, want: u64, timeout: Duration) {
    let what = format!("`{sql}` on {} to return {want}", server.role());
    wait::until(timeout, &what, || match server.sql(sql) {
        Ok(out) if out.trim().parse::<u64>().ok() == Some(want) => Ok(()),
        Ok(out) => Err(out.trim().to_string()),
        Err(e) => Err(e.to_string()),
    });
}
