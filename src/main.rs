fn main() {
    println!("kinetop: under construction");
}
