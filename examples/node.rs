//! A full hashslot node, started like redis-server: `node [config-file] [--directive value …]`.
fn main() {
    std::process::exit(hashslot::server::main_from_args(std::env::args().collect()));
}
