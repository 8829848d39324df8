//! A hashslot node process, started like redis-server (same code as `examples/node.rs`).
fn main() {
    std::process::exit(hashslot_server::main_from_args(std::env::args().collect()));
}
