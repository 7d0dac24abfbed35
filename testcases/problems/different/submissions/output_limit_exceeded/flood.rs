use std::io::Write;

fn main() {
    let chunk = "7".repeat(1 << 20) + "\n";
    let mut out = std::io::stdout().lock();
    for _ in 0..64 {
        out.write_all(chunk.as_bytes()).unwrap();
    }
}
