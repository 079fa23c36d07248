//! The MariaDB pair behind the MySQL scenarios: the shared [`xtask::mariadb::MariaDbPair`] on
//! the bench's own loopback addresses, plus the sysbench database and its account.

use anyhow::{Context, Result, bail};
use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use xtask::mariadb::{MariaDbPair, PairOptions, Role};

pub const BENCH_USER: &str = "bench";
pub const BENCH_PASSWORD: &str = "bench";
pub const BENCH_DB: &str = "sbtest";
pub const PRIMARY_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 77, 10);
pub const SECONDARY_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 77, 20);

/// The running pair, ready for sysbench. Dropping it stops both servers.
pub struct DbSetup {
    pub primary: SocketAddr,
    pub secondary: SocketAddr,
    pub primary_id: u32,
    pub secondary_id: u32,
    /// Rows in the sysbench table.
    pub table_size: u32,
    pair: RefCell<MariaDbPair>,
}

impl DbSetup {
    /// Starts the pair and creates the sysbench database and account on both servers.
    pub fn start(table_size: u32) -> Result<DbSetup> {
        let pair = MariaDbPair::start(PairOptions::new("bench").ips(PRIMARY_IP, SECONDARY_IP))
            .context("starting the MariaDB pair")?;
        pair.primary()
            .sql(&format!(
                "CREATE DATABASE IF NOT EXISTS {BENCH_DB}; \
                 CREATE USER IF NOT EXISTS '{BENCH_USER}'@'%' IDENTIFIED BY '{BENCH_PASSWORD}'; \
                 GRANT ALL ON {BENCH_DB}.* TO '{BENCH_USER}'@'%'"
            ))
            .context("creating the sysbench account")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let find = format!("SELECT COUNT(*) FROM mysql.user WHERE user = '{BENCH_USER}'");
        while pair.secondary().sql(&find)?.trim() != "1" {
            if Instant::now() > deadline {
                bail!("the sysbench account did not replicate to the Secondary in 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(DbSetup {
            primary: pair.primary().addr(),
            secondary: pair.secondary().addr(),
            primary_id: pair.primary().server_id(),
            secondary_id: pair.secondary().server_id(),
            table_size,
            pair: RefCell::new(pair),
        })
    }

    /// Waits until the Secondary has applied everything the Primary wrote (after prepare).
    pub fn wait_table_replicated(&self) -> Result<()> {
        let pair = self.pair.borrow();
        let count = format!("SELECT COUNT(*) FROM {BENCH_DB}.sbtest1");
        let want = pair.primary().sql(&count)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while pair.secondary().sql(&count).unwrap_or_default() != want {
            if Instant::now() > deadline {
                bail!("the sysbench table did not replicate to the Secondary in 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Stops the Primary's mariadbd (SIGTERM by PID, waits for it to exit).
    pub fn stop_primary(&self) -> Result<()> {
        Ok(self.pair.borrow_mut().stop(Role::Primary)?)
    }

    /// Starts the Primary again and waits until it serves and replicates.
    pub fn start_primary(&self) -> Result<()> {
        Ok(self.pair.borrow_mut().start_again(Role::Primary)?)
    }
}
