package contest;

final class Distance {
    static long between(long a, long b) {
        return Math.abs(a - b);
    }
}
