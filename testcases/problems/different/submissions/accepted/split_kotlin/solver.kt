// Accepted: a directory of two Kotlin files; the one with a top-level main runs, as the class
// kotlinc names after its file (SolverKt).
fun main() {
    val out = StringBuilder()
    while (true) {
        val line = readLine() ?: break
        val parts = line.trim().split(Regex("\\s+"))
        if (parts.size < 2) continue
        out.append(distance(parts[0].toLong(), parts[1].toLong())).append('\n')
    }
    print(out)
}
