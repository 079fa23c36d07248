//! The outcome of one health check, in HAProxy's vocabulary (`check_status` codes).

use std::time::Duration;

/// HAProxy's `check_status` codes that a TCP or MySQL check can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// Not checked yet.
    Ini,
    /// The check socket could not be set up.
    SockErr,
    /// TCP connect succeeded (plain `check`).
    L4Ok,
    /// TCP connect timed out.
    L4Tout,
    /// TCP connect refused, reset or unreachable.
    L4Con,
    /// The application answered as expected.
    L7Ok,
    /// The application did not answer in time.
    L7Tout,
    /// The application answered something invalid or truncated.
    L7Rsp,
    /// The application answered with an error status (a MySQL ERR packet).
    L7Sts,
}

impl CheckStatus {
    /// The code as HAProxy prints it in `check_status`.
    pub fn code(self) -> &'static str {
        match self {
            CheckStatus::Ini => "INI",
            CheckStatus::SockErr => "SOCKERR",
            CheckStatus::L4Ok => "L4OK",
            CheckStatus::L4Tout => "L4TOUT",
            CheckStatus::L4Con => "L4CON",
            CheckStatus::L7Ok => "L7OK",
            CheckStatus::L7Tout => "L7TOUT",
            CheckStatus::L7Rsp => "L7RSP",
            CheckStatus::L7Sts => "L7STS",
        }
    }

    /// HAProxy's description (`check_desc` column, "reason" in state-change logs).
    pub fn description(self) -> &'static str {
        match self {
            CheckStatus::Ini => "Initializing",
            CheckStatus::SockErr => "Socket error",
            CheckStatus::L4Ok => "Layer4 check passed",
            CheckStatus::L4Tout => "Layer4 timeout",
            CheckStatus::L4Con => "Layer4 connection problem",
            CheckStatus::L7Ok => "Layer7 check passed",
            CheckStatus::L7Tout => "Layer7 timeout",
            CheckStatus::L7Rsp => "Layer7 invalid response",
            CheckStatus::L7Sts => "Layer7 wrong status",
        }
    }

    pub fn is_success(self) -> bool {
        matches!(self, CheckStatus::L4Ok | CheckStatus::L7Ok)
    }
}

/// One finished check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub status: CheckStatus,
    /// The MySQL error number of an ERR reply (`check_code`).
    pub code: Option<u32>,
    /// Details: the OS error text, the MySQL error message, ... (`last_chk`, log "info").
    pub info: String,
    /// Time from the start of the check to its outcome (`check_duration`).
    pub duration: Duration,
}

impl CheckResult {
    pub fn new(status: CheckStatus, info: impl Into<String>, duration: Duration) -> Self {
        CheckResult {
            status,
            code: None,
            info: info.into(),
            duration,
        }
    }
    pub fn with_code(mut self, code: u32) -> Self {
        self.code = Some(code);
        self
    }
}
