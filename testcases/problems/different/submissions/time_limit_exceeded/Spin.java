public class Spin {
    static volatile long x;

    public static void main(String[] args) {
        for (;;) x++;
    }
}
