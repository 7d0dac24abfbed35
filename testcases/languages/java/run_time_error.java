import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        long a = in.nextLong(), b = in.nextLong();
        int[] none = new int[0];
        System.out.println(a + b + none[1]);
    }
}
