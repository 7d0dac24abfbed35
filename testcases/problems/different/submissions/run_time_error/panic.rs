fn main() {
    let v: Vec<u64> = Vec::new();
    let i = std::hint::black_box(3);
    println!("{}", v[i]);
}
