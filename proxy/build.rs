//! Builds the kernel programs (`proxy-ebpf`) with aya-build when the eBPF build chain is
//! present (bpf-linker on PATH, nightly with rust-src), so a plain `cargo build` produces
//! them. Without the chain the build goes on: `SOCKHOP_EBPF_MISSING` tells the daemon why
//! the sockmap data path is unavailable (`xtask::ebpf::ensure_toolchain` installs the chain). With the chain
//! present, a failing eBPF build fails the build: that is a bug, not a missing tool.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(sockhop_ebpf)");
    println!("cargo::rerun-if-env-changed=SOCKHOP_NO_EBPF");
    println!("cargo::rerun-if-env-changed=PATH");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let ebpf_dir = manifest.join("../proxy-ebpf");
    let common_dir = manifest.join("../proxy-common");
    println!("cargo::rerun-if-changed={}", common_dir.display());

    if let Some(reason) = missing_chain() {
        println!(
            "cargo::warning=sockmap data path not built: {reason} (xtask::ebpf::ensure_toolchain installs the chain: apt llvm-22-dev, cargo install bpf-linker@0.13.0 --no-default-features --features llvm-22 with LLVM_PREFIX=/usr/lib/llvm-22, rustup component add rust-src --toolchain nightly)"
        );
        println!("cargo::rustc-env=SOCKHOP_EBPF_MISSING={reason}");
        return;
    }
    let root = ebpf_dir.to_str().expect("UTF-8 path");
    let package = aya_build::Package {
        name: "proxy-ebpf",
        root_dir: root,
        ..Default::default()
    };
    if let Err(e) = aya_build::build_ebpf([package], aya_build::Toolchain::Nightly) {
        panic!("building the eBPF programs failed: {e:#}");
    }
    println!("cargo::rustc-cfg=sockhop_ebpf");
    println!("cargo::rustc-env=SOCKHOP_EBPF_MISSING=");
}

/// Why the eBPF programs cannot be built here, if they cannot.
fn missing_chain() -> Option<String> {
    if env::var_os("SOCKHOP_NO_EBPF").is_some_and(|v| v == "1") {
        return Some("SOCKHOP_NO_EBPF=1 was set at build time".into());
    }
    if !on_path("bpf-linker") {
        return Some("bpf-linker is not on PATH".into());
    }
    let sysroot = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--print", "sysroot"])
        .output();
    let sysroot = match sysroot {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => return Some("no nightly Rust toolchain (rustup run nightly rustc failed)".into()),
    };
    let core = Path::new(&sysroot).join("lib/rustlib/src/rust/library/core");
    if !core.is_dir() {
        return Some("the nightly toolchain has no rust-src component".into());
    }
    None
}

fn on_path(tool: &str) -> bool {
    env::var_os("PATH").is_some_and(|p| env::split_paths(&p).any(|dir| dir.join(tool).is_file()))
}
