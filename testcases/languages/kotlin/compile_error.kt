fun main() {
    val x = 
}
