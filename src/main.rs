fn main() {
    std::process::exit(podcap::cli::run(std::env::args_os().collect()));
}
