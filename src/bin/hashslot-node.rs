//! The node binary that whole-node tests run (`CARGO_BIN_EXE_hashslot-node`); the same thin entry
//! as `examples/node.rs`, started like redis-server: `hashslot-node [config-file] [--directive value …]`.
fn main() {
    std::process::exit(hashslot::server::main_from_args(std::env::args().collect()));
}
