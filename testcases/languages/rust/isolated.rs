// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
use std::io::Read;
use std::net::TcpStream;

fn main() {
    let mut line = String::new();
    std::io::stdin().read_to_string(&mut line).unwrap();
    let sum: i64 = line.split_whitespace().map(|t| t.parse::<i64>().unwrap()).sum();
    if std::fs::read("/etc/shadow").is_ok() {
        println!("LEAK: read /etc/shadow");
    } else if TcpStream::connect("127.0.0.1:47999").is_ok() {
        println!("LEAK: connected");
    } else {
        println!("{sum}");
    }
}
