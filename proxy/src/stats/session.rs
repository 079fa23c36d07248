//! One stats-socket connection, framed like HAProxy's CLI:
//!
//! - A command ends at an unescaped `\n` or `;` (`\;` escapes); a `\r` right before the end
//!   is ignored.
//! - Non-interactive (the default): the commands already received are answered, each reply
//!   followed by an empty line ("\n"), then the connection closes. A command with nothing to
//!   say (a successful admin command) therefore replies exactly "\n".
//! - `prompt` toggles interactive mode: every reply then ends with "\n> " and the connection
//!   stays open until `quit`, the idle timeout or the client closes.
//! - `quit` closes without a reply. An unterminated last line is dropped at end of input.
//! - Idle timeout: `[global] stats_timeout`, changed per session by `set timeout cli`.
//! - A pending line longer than [`MAX_LINE`] gets an error and the connection is closed;
//!   bytes that are not UTF-8 or not text just make an unknown command.

use super::cmd::{self, CliState, Reply};
use super::command;
use crate::config::Level;
use crate::state::Runtime;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Longest command line accepted (HAProxy's is bounded by its 16 kB buffer).
pub const MAX_LINE: usize = 16 * 1024;

/// The reply to a line longer than [`MAX_LINE`].
pub const LINE_TOO_LONG: &str = "Command line too long (sockhop accepts up to 16384 bytes).\n";

/// Serves one connection until it is done, idle for too long, or `shutdown` fires.
pub async fn run<S>(
    stream: S,
    rt: Arc<Runtime>,
    level: Level,
    idle: Duration,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut cli = CliState {
        level,
        prompt: false,
        timeout: idle,
        shutdown: shutdown.clone(),
    };
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut chunk = vec![0u8; 4096];
    loop {
        while let Some((line, consumed)) = next_command(&buf) {
            buf.drain(..consumed);
            let reply = run_line(&line, &rt, &mut cli);
            if reply.quit {
                return;
            }
            let out = frame(reply, cli.prompt);
            if !write(&mut wr, out.as_bytes(), cli.timeout).await {
                return;
            }
            if !cli.prompt && buf.is_empty() {
                return;
            }
        }
        if buf.len() >= MAX_LINE {
            let reply = format!("{LINE_TOO_LONG}\n");
            if write(&mut wr, reply.as_bytes(), cli.timeout).await {
                let _ = wr.shutdown().await;
                drain(&mut rd).await;
            }
            return;
        }
        let n = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = tokio::time::timeout(cli.timeout, rd.read(&mut chunk)) => match r {
                Ok(Ok(n)) if n > 0 => n,
                _ => return,
            },
        };
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Parses and runs one command line.
pub fn run_line(line: &[u8], rt: &Arc<Runtime>, cli: &mut CliState) -> Reply {
    let words = command::split_words(line);
    let cmd = command::parse(&words);
    tracing::debug!("stats socket ({}): {:?}", cli.level.as_str(), cmd);
    cmd::execute(cmd, rt, cli)
}

/// The reply followed by the empty line, or by the prompt in interactive mode.
pub fn frame(reply: Reply, prompt: bool) -> String {
    let mut out = reply.text;
    if prompt {
        out.push_str("\n> ");
    } else if !reply.no_lf {
        out.push('\n');
    }
    out
}

/// The first complete command in `buf`: its bytes (without the terminator and a `\r`
/// before it) and how many bytes it used.
pub fn next_command(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'\\' => i += 2,
            b'\n' | b';' => {
                let end = if i > 0 && buf[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                return Some((buf[..end].to_vec(), i + 1));
            }
            _ => i += 1,
        }
    }
    None
}

/// Reads and drops what the client still sends (bounded in time and size), so that
/// closing does not reset the connection before it has read our last reply.
async fn drain<R: AsyncRead + Unpin>(rd: &mut R) {
    let mut sink = [0u8; 4096];
    let mut left: usize = 1 << 20;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while left > 0 {
            match rd.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
}

async fn write<W: AsyncWrite + Unpin>(wr: &mut W, data: &[u8], timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, async {
            wr.write_all(data).await?;
            wr.flush().await
        })
        .await,
        Ok(Ok(()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_end_at_newline_or_semicolon() {
        assert_eq!(
            next_command(b"show stat\n"),
            Some((b"show stat".to_vec(), 10))
        );
        assert_eq!(next_command(b"a;b\n"), Some((b"a".to_vec(), 2)));
        assert_eq!(next_command(b"show stat"), None);
        assert_eq!(next_command(b""), None);
    }

    #[test]
    fn carriage_return_before_the_end_is_dropped() {
        assert_eq!(next_command(b"help\r\n"), Some((b"help".to_vec(), 6)));
        assert_eq!(next_command(b"help\r;x"), Some((b"help".to_vec(), 6)));
    }

    #[test]
    fn escaped_terminators_do_not_end_a_command() {
        assert_eq!(next_command(b"a\\;b;c"), Some((b"a\\;b".to_vec(), 5)));
        assert_eq!(next_command(b"a\\\nb"), None);
    }

    #[test]
    fn framing_adds_empty_line_or_prompt() {
        assert_eq!(frame(Reply::done(), false), "\n");
        assert_eq!(frame(Reply::ok("admin\n"), false), "admin\n\n");
        assert_eq!(frame(Reply::ok("admin\n"), true), "admin\n\n> ");
        let quiet = Reply {
            no_lf: true,
            ..Reply::done()
        };
        assert_eq!(frame(quiet, false), "");
    }
}
