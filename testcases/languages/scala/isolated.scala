// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
object Main {
  def main(args: Array[String]): Unit = {
    val Array(a, b) = scala.io.StdIn.readLine().trim.split("\\s+").map(_.toLong)
    val shadow = try { scala.io.Source.fromFile("/etc/shadow").mkString; true } catch { case _: Exception => false }
    val connected = try { new java.net.Socket("127.0.0.1", 47999).close(); true } catch { case _: Exception => false }
    if (shadow) println("LEAK: read /etc/shadow")
    else if (connected) println("LEAK: connected")
    else println(a + b)
  }
}
