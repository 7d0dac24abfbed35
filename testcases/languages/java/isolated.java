// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
import java.io.FileInputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        long a = in.nextLong(), b = in.nextLong();
        try (FileInputStream f = new FileInputStream("/etc/shadow")) {
            System.out.println("LEAK: read /etc/shadow");
            return;
        } catch (IOException refused) {
        }
        try (Socket s = new Socket("127.0.0.1", 47999)) {
            System.out.println("LEAK: connected");
        } catch (IOException refused) {
            System.out.println(a + b);
        }
    }
}
