public class HelloCase {
    public static void main(String[] args) {
        // The default validator compares case-insensitively.
        System.out.println("HELLO world!");
    }
}
