//! The eBPF build chain and the kernel programs (`proxy-ebpf`).
//!
//! [`ensure_toolchain`] installs, idempotently, what building `proxy-ebpf` needs: Debian's
//! `llvm-22-dev` (LLVM must match rustc's LLVM 22; bpf-linker links the system
//! libLLVM.so.22), `bpf-linker` 0.13.0 built against it, and nightly's `rust-src` (for
//! `-Z build-std=core`). [`build_ebpf`] builds the object by itself; a plain `cargo build`
//! also builds it through `proxy/build.rs` (aya-build) once the chain is there.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const LLVM_PACKAGE: &str = "llvm-22-dev";
const LLVM_PREFIX: &str = "/usr/lib/llvm-22";
const BPF_LINKER: &str = "bpf-linker@0.13.0";
const NIGHTLY: &str = "nightly";
const TARGET: &str = "bpfel-unknown-none";

/// Installs whatever part of the eBPF build chain is missing; does nothing when all is there.
pub fn ensure_toolchain() -> Result<()> {
    ensure_llvm()?;
    ensure_bpf_linker()?;
    ensure_rust_src()?;
    Ok(())
}

fn ensure_llvm() -> Result<()> {
    let installed = Command::new("dpkg")
        .args(["-s", LLVM_PACKAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "{LLVM_PACKAGE} is not installed and installing it needs root: run `sudo apt-get install -y {LLVM_PACKAGE}`, then this again"
        );
    }
    eprintln!("ebpf: installing {LLVM_PACKAGE} (apt-get)...");
    if run(Command::new("apt-get").args(["install", "-y", LLVM_PACKAGE])).is_err() {
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", LLVM_PACKAGE]))
            .with_context(|| format!("apt-get could not install {LLVM_PACKAGE}"))?;
    }
    Ok(())
}

fn ensure_bpf_linker() -> Result<()> {
    if find_on_path("bpf-linker").is_some() {
        return Ok(());
    }
    if let Some(home) = cargo_bin_dir()
        && home.join("bpf-linker").is_file()
    {
        bail!(
            "bpf-linker is installed in {} but that directory is not on PATH: add it to PATH",
            home.display()
        );
    }
    eprintln!("ebpf: building {BPF_LINKER} against {LLVM_PREFIX} (about a minute)...");
    // bpf-linker's build script looks for llvm-config on PATH and otherwise assumes /usr:
    // Debian keeps LLVM 22 under /usr/lib/llvm-22, so point it there.
    let path = format!(
        "{LLVM_PREFIX}/bin:{}",
        std::env::var("PATH").unwrap_or_default()
    );
    run(Command::new("cargo")
        .args(["install", BPF_LINKER, "--locked", "--no-default-features"])
        .args(["--features", "llvm-22"])
        .env("LLVM_PREFIX", LLVM_PREFIX)
        .env("PATH", path)
        .env_remove("RUSTC")
        .env_remove("CARGO_TARGET_DIR"))
    .with_context(|| format!("cargo install {BPF_LINKER} failed"))?;
    if find_on_path("bpf-linker").is_none() {
        bail!("bpf-linker was installed but is not on PATH: add ~/.cargo/bin to PATH");
    }
    Ok(())
}

fn ensure_rust_src() -> Result<()> {
    if nightly_has_rust_src() {
        return Ok(());
    }
    eprintln!("ebpf: adding rust-src to the {NIGHTLY} toolchain...");
    run(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", NIGHTLY]))
        .context(
            "rustup could not add rust-src to nightly (is a nightly toolchain installed? \
             `rustup toolchain install nightly --profile minimal`)",
        )
}

fn nightly_has_rust_src() -> bool {
    let out = Command::new("rustup")
        .args(["run", NIGHTLY, "rustc", "--print", "sysroot"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let sysroot = String::from_utf8_lossy(&o.stdout).trim().to_string();
            Path::new(&sysroot)
                .join("lib/rustlib/src/rust/library/core")
                .is_dir()
        }
        _ => false,
    }
}

/// Builds `proxy-ebpf` for `bpfel-unknown-none` (nightly, `-Z build-std=core`) into
/// `target/ebpf` and returns the path of the object.
pub fn build_ebpf(release: bool) -> Result<PathBuf> {
    ensure_toolchain()?;
    let root = workspace_root()?;
    let target_dir = root.join("target/ebpf");
    let mut cmd = Command::new("rustup");
    cmd.args(["run", NIGHTLY, "cargo", "build", "--package", "proxy-ebpf"])
        .args(["--bins", "--target", TARGET, "-Z", "build-std=core"])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(&root)
        // The same flags aya-build gives it (BTF for the loader).
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            "--cfg=bpf_target_arch=\"x86_64\"\x1f-Cdebuginfo=2\x1f-Clink-arg=--btf",
        );
    for key in [
        "RUSTC",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTUP_TOOLCHAIN",
        "RUSTFLAGS",
    ] {
        cmd.env_remove(key);
    }
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd).context("building proxy-ebpf failed")?;
    let profile = if release { "release" } else { "debug" };
    let object = target_dir.join(TARGET).join(profile).join("proxy-ebpf");
    if !object.is_file() {
        bail!("the build finished but {} is missing", object.display());
    }
    Ok(object)
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed: {status}", cmd.get_program());
    }
    Ok(())
}

fn find_on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn cargo_bin_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(h).join("bin"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"))
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc_geteuid() == 0 }
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
