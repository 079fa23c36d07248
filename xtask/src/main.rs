pub mod ebpf;

fn main() {}
