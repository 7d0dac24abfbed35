object Main {
  def main(args: Array[String]): Unit = {
    val kept = scala.collection.mutable.ArrayBuffer[Array[Long]]()
    while (true) kept += Array.fill(1 << 20)(1L)
  }
}
