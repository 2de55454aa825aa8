fn main() {
    // exit() rather than returning: a hung keyring call must not keep the process alive.
    std::process::exit(tokdeck::cli::main());
}
