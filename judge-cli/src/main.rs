//! The `judge` command.

fn main() {
    eprintln!("judge: not implemented yet");
    std::process::exit(2);
}
