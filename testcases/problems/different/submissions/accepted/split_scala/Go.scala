// Accepted: a directory of two Scala objects; the one with main runs (contest.Go).
package contest

object Go {
  def main(args: Array[String]): Unit = {
    val out = new StringBuilder
    Iterator.continually(scala.io.StdIn.readLine()).takeWhile(_ != null).foreach { line =>
      val parts = line.trim.split("\\s+")
      if (parts.length >= 2) out.append(Distance.between(parts(0).toLong, parts(1).toLong)).append('\n')
    }
    print(out)
  }
}
