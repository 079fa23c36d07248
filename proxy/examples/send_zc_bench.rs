//! Does io_uring `SEND_ZC` beat a plain `SEND` on this kernel's loopback?
//!
//! `cargo run --release -p sockhop --example send_zc_bench [MiB per run] [rounds]`
//!
//! One TCP connection on 127.0.0.1; a thread drains the receiving end. The sender keeps
//! 4 or 16 buffers of each size in flight on one ring, with `SEND` (the kernel copies the
//! bytes at submission) or `SEND_ZC` (the kernel pins the pages; a buffer may be reused only
//! after its notification). Rounds interleave the modes so machine noise hits both alike; the
//! figures are throughput, the process's CPU seconds per GiB, and for `SEND_ZC` how many
//! notifications carried `IORING_NOTIF_USAGE_ZC_COPIED` (the kernel copied after all).
//! A run ends after its bytes or 5 s, whichever comes first. Data path figures are in docs/datapaths.md; this answers only the `send_zc` question.

use io_uring::{IoUring, cqueue, opcode, types};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Instant;

/// Buffers in flight: the uring data path's 4 per direction, and more.
const IN_FLIGHT: [usize; 2] = [4, 16];
/// Set in a `SEND_ZC` notification's result when the kernel had to copy the data.
const ZC_COPIED: i32 = 1 << 31;
/// `IORING_SEND_ZC_REPORT_USAGE`: ask the kernel to say whether it copied.
const ZC_REPORT_USAGE: u16 = 1 << 3;
/// A run stops queuing after this long (a pathological case must not take minutes).
const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Send,
    SendZc,
}

struct Figures {
    gbit: f64,
    cpu_per_gib: f64,
    notifs: u64,
    copied: u64,
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn run(mode: Mode, chunk: usize, in_flight: usize, total: u64) -> Figures {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0u64;
        loop {
            match s.read(&mut buf) {
                Ok(0) => return got,
                Ok(n) => got += n as u64,
                Err(e) => panic!("reader: {e}"),
            }
        }
    });
    let sock = TcpStream::connect(addr).expect("connect");
    let fd = types::Fd(sock.as_raw_fd());
    let mut ring = IoUring::new(64).expect("io_uring");
    let bufs: Vec<Vec<u8>> = (0..in_flight).map(|i| vec![i as u8; chunk]).collect();
    // Per buffer: the send result and (for SEND_ZC) the notification still to come.
    let mut busy = vec![0u8; in_flight];
    let (mut queued, mut sent) = (0u64, 0u64);
    let (mut notifs, mut copied) = (0u64, 0u64);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut total = total;
    while sent < total {
        if t0.elapsed() > RUN_LIMIT {
            total = queued;
        }
        for (i, b) in bufs.iter().enumerate() {
            if busy[i] == 0 && queued < total {
                let e = match mode {
                    Mode::Send => opcode::Send::new(fd, b.as_ptr(), chunk as u32).build(),
                    Mode::SendZc => opcode::SendZc::new(fd, b.as_ptr(), chunk as u32)
                        .zc_flags(ZC_REPORT_USAGE)
                        .build(),
                };
                // SAFETY: the buffer is not touched again until its completions arrive.
                unsafe { ring.submission().push(&e.user_data(i as u64)) }.expect("sq full");
                busy[i] = if mode == Mode::SendZc { 2 } else { 1 };
                queued += chunk as u64;
            }
        }
        ring.submit_and_wait(1).expect("submit");
        for cqe in ring.completion() {
            let i = cqe.user_data() as usize;
            if cqueue::notif(cqe.flags()) {
                notifs += 1;
                if cqe.result() & ZC_COPIED != 0 {
                    copied += 1;
                }
                busy[i] -= 1;
                continue;
            }
            let r = cqe.result();
            assert!(
                r >= 0,
                "send failed: {}",
                std::io::Error::from_raw_os_error(-r)
            );
            // A short send is resent whole below only if it happens; count what went out.
            sent += r as u64;
            queued -= (chunk - r as usize) as u64;
            // SEND_ZC posts a notification later only when this completion says so.
            busy[i] -= if cqueue::more(cqe.flags()) {
                1
            } else {
                busy[i]
            };
        }
    }
    while busy.iter().any(|&b| b > 0) {
        ring.submit_and_wait(1).expect("submit");
        for cqe in ring.completion() {
            if cqueue::notif(cqe.flags()) {
                notifs += 1;
                if cqe.result() & ZC_COPIED != 0 {
                    copied += 1;
                }
                busy[cqe.user_data() as usize] -= 1;
            }
        }
    }
    drop(sock);
    let got = reader.join().expect("reader");
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(got, sent, "bytes lost");
    Figures {
        gbit: sent as f64 * 8.0 / secs / 1e9,
        cpu_per_gib: (cpu_seconds() - cpu0) / (sent as f64 / (1u64 << 30) as f64),
        notifs,
        copied,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mib: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(256);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let total = mib << 20;
    println!(
        "kernel {}; {mib} MiB per run, {rounds} rounds",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "| chunk | in flight | mode | Gbit/s (median) | CPU s/GiB (median) | notifs | copied |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (chunk, in_flight) in [16 << 10, 64 << 10]
        .into_iter()
        .flat_map(|c| IN_FLIGHT.map(|n| (c, n)))
    {
        let mut figs: Vec<(Mode, Figures)> = Vec::new();
        for _ in 0..rounds {
            for mode in [Mode::Send, Mode::SendZc] {
                figs.push((mode, run(mode, chunk, in_flight, total)));
            }
        }
        for (mode, name) in [(Mode::Send, "SEND"), (Mode::SendZc, "SEND_ZC")] {
            let mine: Vec<&Figures> = figs
                .iter()
                .filter(|(m, _)| *m == mode)
                .map(|(_, f)| f)
                .collect();
            println!(
                "| {} KiB | {in_flight} | {name} | {:.2} | {:.3} | {} | {} |",
                chunk >> 10,
                median(mine.iter().map(|f| f.gbit).collect()),
                median(mine.iter().map(|f| f.cpu_per_gib).collect()),
                mine.iter().map(|f| f.notifs).sum::<u64>(),
                mine.iter().map(|f| f.copied).sum::<u64>(),
            );
        }
    }
}
