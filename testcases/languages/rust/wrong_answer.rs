use std::io::Read;

fn main() {
    let mut line = String::new();
    std::io::stdin().read_to_string(&mut line).unwrap();
    let n: Vec<i64> = line.split_whitespace().map(|t| t.parse().unwrap()).collect();
    println!("{}", n[0] - n[1]);
}
