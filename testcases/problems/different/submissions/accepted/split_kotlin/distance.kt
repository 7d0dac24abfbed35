fun distance(a: Long, b: Long): Long = if (a > b) a - b else b - a
