// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
import java.io.File
import java.net.Socket

fun main() {
    val (a, b) = readLine()!!.trim().split(Regex("\\s+")).map { it.toLong() }
    try { File("/etc/shadow").readText(); println("LEAK: read /etc/shadow"); return } catch (e: Exception) { }
    try { Socket("127.0.0.1", 47999).close(); println("LEAK: connected"); return } catch (e: Exception) { }
    println(a + b)
}
