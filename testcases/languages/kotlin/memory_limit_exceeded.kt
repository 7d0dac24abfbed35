fun main() {
    val kept = ArrayList<LongArray>()
    while (true) { kept.add(LongArray(1 shl 20) { it.toLong() }) }
}
