public class Main {
    static volatile long spin;

    public static void main(String[] args) {
        while (true) spin++;
    }
}
