use std::io::{self, BufRead};

// Prints the first number only.
fn main() {
    for line in io::stdin().lock().lines() {
        let line = line.unwrap();
        println!("{}", line.split_whitespace().next().unwrap_or(""));
    }
}
