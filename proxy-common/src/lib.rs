//! The contract between sockhop's kernel programs (`proxy-ebpf`) and its userspace daemon:
//! `#[repr(C)]` types with explicit padding and size asserts, and map names. `no_std`, so
//! both sides compile it.
#![no_std]
