//! A stress hunt for rare faults of the sockmap path, not part of the suite (throughput and
//! latency are measured by `cargo run --release -p sockhop --example datapath_bench`):
//! `cargo test --release --test datapath_sockmap_stress -- --ignored --nocapture`.

mod common;
mod sockmap_pair;

use sockhop::datapath::{End, SockmapPath};
use sockmap_pair::{pair, path};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Repeated 2 GiB one-way transfers on the sockmap path; every 8-byte word carries its own
/// stream offset, so a loss, duplicate or reordering is reported with where the bytes at
/// the first wrong position came from. Hunts rare faults a single run can miss: any wrong
/// byte fails at once; a session the path reset (its duplicate detector fired) is counted
/// and fails the test at the end, after every run, so one test gives the rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long stress"]
async fn stress_bulk_transfers() {
    let Some(path) = path() else { return };
    let runs: usize = std::env::var("STRESS_RUNS")
        .map(|v| v.parse().unwrap())
        .unwrap_or(10);
    let total: u64 = 2 << 30;
    let before = tcp_counters();
    let mut resets = Vec::new();
    for run in 0..runs {
        let p = pair(&path).await;
        let (mut c, mut s, f) = (p.client, p.server, Some(p.forward));
        let w = tokio::spawn(async move {
            let mut buf = vec![0u8; 1 << 20];
            for k in 0..(total >> 20) {
                for (i, word) in buf.chunks_exact_mut(8).enumerate() {
                    word.copy_from_slice(&((k << 20) + 8 * i as u64).to_le_bytes());
                }
                c.write_all(&buf).await?;
            }
            c.shutdown().await?;
            Ok::<_, std::io::Error>(c)
        });
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0u64;
        let mut reset = false;
        loop {
            let n = match s.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    eprintln!("run {run}: reset after {got} bytes: {e}");
                    reset = true;
                    break;
                }
            };
            for (i, &b) in buf[..n].iter().enumerate() {
                let o = got + i as u64;
                if b != (o & !7).to_le_bytes()[(o & 7) as usize] {
                    let a = (i + 7) & !7;
                    let from =
                        (a + 8 <= n).then(|| u64::from_le_bytes(buf[a..a + 8].try_into().unwrap()));
                    panic!(
                        "run {run}: first wrong byte at stream offset {o}; the word at {} holds \
                         offset {from:?} (read of {n} bytes at {got})",
                        got + a as u64
                    );
                }
            }
            got += n as u64;
        }
        let writer = w.await.unwrap();
        drop(s);
        let t = f.unwrap().await.unwrap();
        if reset {
            resets.push((run, t.end));
            continue;
        }
        drop(writer.unwrap());
        assert_eq!(got, total, "run {run}: {} bytes missing", total - got);
        assert_eq!(t.end, End::Done, "run {run}");
    }
    let after = tcp_counters();
    let delta: Vec<String> = after
        .iter()
        .zip(&before)
        .map(|((k, a), (_, b))| format!("{k} {}", a - b))
        .collect();
    eprintln!(
        "stress: {runs} runs x 2 GiB, {} reset by the path {resets:?}; kernel trimmed {} \
         retransmitted bytes in total; system-wide {}",
        resets.len(),
        SockmapPath::trimmed_total(),
        delta.join(", ")
    );
    assert!(resets.is_empty(), "sessions reset: {resets:?}");
}

/// System-wide TCP counters that tell whether retransmits happened during a stress run.
fn tcp_counters() -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for (file, names) in [
        ("/proc/net/snmp", &["RetransSegs"][..]),
        (
            "/proc/net/netstat",
            &[
                "TCPDSACKOldSent",
                "PruneCalled",
                "TCPRcvQDrop",
                "TCPSpuriousRTOs",
            ][..],
        ),
    ] {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.chunks(2) {
            let keys: Vec<&str> = pair[0].split_whitespace().collect();
            let vals: Vec<&str> = pair[1].split_whitespace().collect();
            for name in names {
                if let Some(i) = keys.iter().position(|k| k == name) {
                    out.push((*name, vals[i].parse().unwrap_or(0)));
                }
            }
        }
    }
    out
}
