public class Hog {
    public static void main(String[] args) {
        long[] xs = new long[200_000_000];
        System.out.println(xs.length);
    }
}
