//! Installs what the bench needs when missing, through the shared installer (dpkg -s first,
//! apt-get only as root, service starts forbidden meanwhile): the demo's MariaDB packages,
//! plus `haproxy` (the reference proxy) and `sysbench` (the SQL load).

use anyhow::Result;

/// The bench's own packages on top of the shared prerequisites.
pub const PACKAGES: [&str; 2] = ["haproxy", "sysbench"];

pub fn ensure() -> Result<()> {
    xtask::install::ensure()?;
    xtask::install::ensure_packages(&PACKAGES)
}
