use std::io::Read;

fn main() {
    let mut line = String::new();
    std::io::stdin().read_to_string(&mut line).unwrap();
    let sum: i64 = line.split_whitespace().map(|t| t.parse::<i64>().unwrap()).sum();
    println!("{sum}");
}
