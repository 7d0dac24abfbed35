package contest

object Distance {
  def between(a: Long, b: Long): Long = math.abs(a - b)
}
