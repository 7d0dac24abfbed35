fn main() {
    let mut spin: u64 = 0;
    loop {
        spin = std::hint::black_box(spin.wrapping_add(1));
    }
}
